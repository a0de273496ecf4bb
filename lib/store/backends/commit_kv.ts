/**
 * The one commit helper of every Deno KV store (faces, API keys, idempotency records): an atomic
 * operation is retried while SQLite reports lock contention ("database is locked" / busy: another
 * process, e.g. a CLI, is writing the same file), with jittered backoff.
 *
 * @module
 */

/** Options for {@linkcode commitKv}. */
export interface CommitKvOptions {
  /** Tries while the database is locked before the error is rethrown. Default: 50. */
  maxAttempts?: number;
}

const LOCKED_RE = /database is locked|busy/i;

/** Whether `err` is SQLite's lock contention (worth retrying), not a real failure. */
export function isKvLockContention(err: unknown): boolean {
  return err instanceof Error && LOCKED_RE.test(err.message);
}

/**
 * Commits an atomic operation, retrying lock contention.
 *
 * @param op The operation (committing it again after a lock error is safe: nothing was written).
 * @param options See {@linkcode CommitKvOptions}.
 * @returns True when committed, false when one of its checks failed (the caller re-reads).
 * @throws The commit's error when it is not lock contention, or when the database stayed locked
 *   for `maxAttempts` tries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commitKv } from "./commit_kv.ts";
 * const kv = await Deno.openKv(":memory:");
 * assert.equal(await commitKv(kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 1)), true);
 * assert.equal(await commitKv(kv.atomic().check({ key: ["a"], versionstamp: null }).set(["a"], 2)), false);
 * kv.close();
 * ```
 */
export async function commitKv(
  op: Deno.AtomicOperation,
  options: CommitKvOptions = {},
): Promise<boolean> {
  const maxAttempts = options.maxAttempts ?? 50;
  for (let attempt = 1;; attempt++) {
    try {
      return (await op.commit()).ok;
    } catch (err) {
      if (!isKvLockContention(err) || attempt >= maxAttempts) throw err;
      await kvBackoff(attempt);
    }
  }
}

/** Sleeps a random 0..min(50, 2^attempt) ms, so contending writers spread out. */
export function kvBackoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** Math.min(attempt, 6));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
