/**
 * Opens the {@linkcode KeyStore} beside the configured face store.
 *
 * @module
 */
import type { StoreConfig } from "../config.ts";
import type { KeyStore } from "./key_store.ts";
import { KvKeyStore } from "./kv_key_store.ts";
import { MemoryKeyStore } from "./memory_key_store.ts";
import { UpstashKeyStore } from "./upstash_key_store.ts";

/**
 * Opens the key store of a store configuration: the same Deno KV file (its own handle), the same
 * Upstash database and prefix, or a fresh memory store.
 *
 * @throws {FaceError} `store_unavailable` when Deno KV cannot be opened.
 *
 * @example
 * ```ts
 * import { openKeyStore } from "./open_key_store.ts";
 * const keys = await openKeyStore({ kind: "memory" });
 * console.assert(keys.kind === "memory");
 * ```
 */
export async function openKeyStore(store: StoreConfig): Promise<KeyStore> {
  if (store.kind === "memory") return new MemoryKeyStore();
  if (store.kind === "upstash") {
    return new UpstashKeyStore({ url: store.url, token: store.token, prefix: store.prefix });
  }
  const slash = store.path.lastIndexOf("/");
  if (store.path !== ":memory:" && slash > 0) {
    await Deno.mkdir(store.path.slice(0, slash), { recursive: true });
  }
  return await KvKeyStore.open(store.path);
}
