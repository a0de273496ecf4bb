/**
 * Opens the {@linkcode IdempotencyStore} that matches a face store configuration, so idempotency
 * records live next to the faces (same KV file, same Redis).
 *
 * @module
 */
import type { StoreConfig } from "../config.ts";
import type { IdempotencyStore } from "./idempotency_store.ts";
import { MemoryIdempotencyStore } from "./idempotency_memory_store.ts";
import { KvIdempotencyStore } from "./idempotency_kv_store.ts";
import { UpstashIdempotencyStore } from "./idempotency_upstash_store.ts";

/**
 * The idempotency store for `config`: memory, Deno KV (its own handle on the same database) or
 * Upstash (its own client on the same Redis).
 *
 * @param config The face store configuration.
 * @returns The store; the caller closes it.
 * @throws {FaceError} `store_unavailable` when Deno KV cannot be opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openIdempotencyStore } from "./idempotency_open.ts";
 * const store = await openIdempotencyStore({ kind: "memory" });
 * assert.equal(store.kind, "memory");
 * ```
 */
export async function openIdempotencyStore(config: StoreConfig): Promise<IdempotencyStore> {
  if (config.kind === "memory") return new MemoryIdempotencyStore();
  if (config.kind === "upstash") {
    const { url, token, prefix } = config;
    return new UpstashIdempotencyStore({ url, token, prefix });
  }
  return await KvIdempotencyStore.open(config.path);
}
