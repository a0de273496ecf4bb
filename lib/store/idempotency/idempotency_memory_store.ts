/**
 * {@linkcode IdempotencyStore} in a process-local map: for tests, development and single-isolate
 * deployments (records vanish with the process).
 *
 * @module
 */
import {
  type IdempotencyClaim,
  type IdempotencyErasure,
  type IdempotencyMentions,
  type IdempotencyRef,
  type IdempotencyStore,
  type StoredIdempotency,
  type StoredResponse,
} from "./idempotency_store.ts";
import {
  checkErasure,
  checkMentions,
  erasedRecord,
  mentionsTarget,
  pendingRecord,
} from "./idempotency_records.ts";
import { checkIdempotencyRef } from "./idempotency_keys.ts";

/** Options for {@linkcode MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** Clock in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/**
 * An {@linkcode IdempotencyStore} in memory. Expired records are dropped when touched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryIdempotencyStore } from "./idempotency_memory_store.ts";
 * const store = new MemoryIdempotencyStore();
 * const ref = { scope: "webhook", key: "msg_1" };
 * const first = await store.claim(ref, "fp", 60_000);
 * assert.equal(first.claimed, true);
 * assert.equal((await store.claim(ref, "fp", 60_000)).claimed, false);
 * ```
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #now: () => number;
  #map = new Map<string, StoredIdempotency>();
  /** Index: collection -> subject -> record id -> faces named. */
  #index = new Map<string, Map<string, Map<string, string[]>>>();

  /** @param options See {@linkcode MemoryIdempotencyStoreOptions}. */
  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Takes the key for `leaseMs` when absent, else returns its record. */
  // deno-lint-ignore require-await
  async claim(
    ref: IdempotencyRef,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    const id = this.#id(ref);
    const held = this.#live(id);
    if (held) return { claimed: false, record: structuredClone(held.record) };
    const now = this.#now();
    const token = crypto.randomUUID();
    this.#map.set(id, {
      record: pendingRecord(fingerprint, now),
      token,
      expires_at: now + leaseMs,
    });
    return { claimed: true, token };
  }

  /** Replaces the caller's lease by the response for `ttlMs`. */
  // deno-lint-ignore require-await
  async complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
    mentions?: IdempotencyMentions,
  ): Promise<boolean> {
    const id = this.#id(ref);
    const named = mentions && checkMentions(mentions);
    const held = this.#live(id);
    if (!held || held.record.state !== "pending" || held.token !== token) {
      return false;
    }
    const now = this.#now();
    this.#map.set(id, {
      record: {
        state: "done",
        fingerprint: held.record.fingerprint,
        response: { ...response },
        completed_at: new Date(now).toISOString(),
      },
      token: "",
      expires_at: now + ttlMs,
      ...(named ? { mentions: structuredClone(named) } : {}),
    });
    if (named) {
      const where = this.#where(named);
      for (const { subject, faces } of named.subjects) {
        const bySubject = where.get(subject) ?? new Map<string, string[]>();
        bySubject.set(id, [...faces]);
        where.set(subject, bySubject);
      }
    }
    return true;
  }

  /** Erases every done record naming the target (see {@linkcode IdempotencyStore.erase}). */
  // deno-lint-ignore require-await
  async erase(target: IdempotencyErasure): Promise<number> {
    const { collection, subject, faceId } = checkErasure(target);
    const where = this.#index.get(collection);
    if (!where) return 0;
    let erased = 0;
    const subjects = subject === undefined ? [...where.keys()] : [subject];
    for (const s of subjects) {
      for (const [id, faces] of where.get(s) ?? []) {
        if (faceId !== undefined && !faces.includes(faceId)) continue;
        const held = this.#live(id);
        if (
          held?.record.state === "done" && mentionsTarget(held.mentions, { ...target, subject: s })
        ) {
          for (const m of held.mentions!.subjects) where.get(m.subject)?.delete(id);
          this.#map.set(id, {
            record: erasedRecord(held.record.fingerprint, this.#now()),
            token: "",
            expires_at: held.expires_at,
          });
          erased++;
        }
        where.get(s)?.delete(id);
      }
    }
    for (const [s, ids] of where) if (ids.size === 0) where.delete(s);
    if (where.size === 0) this.#index.delete(collection);
    return erased;
  }

  /**
   * Every live record and index entry, one JSON text each: what a scan of a Deno KV or Redis
   * keyspace sees, for erasure tests.
   */
  dump(): string[] {
    const out: string[] = [];
    for (const id of [...this.#map.keys()]) {
      const held = this.#live(id);
      if (held) out.push(JSON.stringify({ key: id, value: held }));
    }
    for (const [where, subjects] of this.#index) {
      for (const [subject, ids] of subjects) {
        for (const [id, faces] of ids) out.push(JSON.stringify({ where, subject, id, faces }));
      }
    }
    return out;
  }

  /** Drops the caller's lease. */
  // deno-lint-ignore require-await
  async release(ref: IdempotencyRef, token: string): Promise<boolean> {
    const id = this.#id(ref);
    const held = this.#live(id);
    if (!held || held.record.state !== "pending" || held.token !== token) {
      return false;
    }
    this.#map.delete(id);
    return true;
  }

  /** Forgets every record. */
  close(): Promise<void> {
    this.#map.clear();
    this.#index.clear();
    return Promise.resolve();
  }

  #id(ref: IdempotencyRef): string {
    const { scope, key } = checkIdempotencyRef(ref);
    return `${scope}:${key}`;
  }

  #where(m: { collection: string }): Map<string, Map<string, string[]>> {
    let where = this.#index.get(m.collection);
    if (!where) this.#index.set(m.collection, where = new Map());
    return where;
  }

  #live(id: string): StoredIdempotency | undefined {
    const held = this.#map.get(id);
    if (held && held.expires_at <= this.#now()) {
      this.#map.delete(id);
      if (held.mentions) {
        const where = this.#where(held.mentions);
        for (const m of held.mentions.subjects) {
          where.get(m.subject)?.delete(id);
          if (where.get(m.subject)?.size === 0) where.delete(m.subject);
        }
        if (where.size === 0) {
          this.#index.delete(held.mentions.collection);
        }
      }
      return undefined;
    }
    return held;
  }
}
