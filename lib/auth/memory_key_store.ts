/**
 * {@linkcode KeyStore} in the memory of one isolate (tests, the memory face store). Keys made
 * here exist only in this process: with `FACEGATE_STORE=memory` the server cannot be reached with
 * keys made by `deno task keys`.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { ApiKeyRecord } from "./api_key.ts";
import { byCreation, type KeyStore } from "./key_store.ts";

/**
 * A {@linkcode KeyStore} in a `Map`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryKeyStore } from "./memory_key_store.ts";
 * const store = new MemoryKeyStore();
 * assert.equal((await store.get("0000000000000000")), null);
 * ```
 */
export class MemoryKeyStore implements KeyStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #records = new Map<string, ApiKeyRecord>();

  /** Stores a copy of `record`; `conflict` when the id exists. */
  insert(record: ApiKeyRecord): Promise<void> {
    if (this.#records.has(record.id)) {
      return Promise.reject(new FaceError("conflict", `Cannot create key ${record.id}: it exists`));
    }
    this.#records.set(record.id, structuredClone(record));
    return Promise.resolve();
  }

  /** A copy of the record, or null. */
  get(id: string): Promise<ApiKeyRecord | null> {
    const r = this.#records.get(id);
    return Promise.resolve(r ? structuredClone(r) : null);
  }

  /** Every record, oldest first. */
  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve(
      [...this.#records.values()].map((r) => structuredClone(r)).sort(byCreation),
    );
  }

  /** Marks the key revoked (keeping an earlier revocation time). */
  revoke(id: string, at: string): Promise<ApiKeyRecord | null> {
    const r = this.#records.get(id);
    if (!r) return Promise.resolve(null);
    r.revoked_at ??= at;
    return Promise.resolve(structuredClone(r));
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
