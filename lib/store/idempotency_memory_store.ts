/**
 * {@linkcode IdempotencyStore} in a process-local map: for tests, development and single-isolate
 * deployments (records vanish with the process).
 *
 * @module
 */
import {
  checkIdempotencyRef,
  type IdempotencyClaim,
  type IdempotencyRef,
  type IdempotencyStore,
  type StoredIdempotency,
  type StoredResponse,
} from "./idempotency_store.ts";

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
      record: { state: "pending", fingerprint, started_at: new Date(now).toISOString() },
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
  ): Promise<boolean> {
    const id = this.#id(ref);
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
    });
    return true;
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
    return Promise.resolve();
  }

  #id(ref: IdempotencyRef): string {
    const { scope, key } = checkIdempotencyRef(ref);
    return `${scope}:${key}`;
  }

  #live(id: string): StoredIdempotency | undefined {
    const held = this.#map.get(id);
    if (held && held.expires_at <= this.#now()) {
      this.#map.delete(id);
      return undefined;
    }
    return held;
  }
}
