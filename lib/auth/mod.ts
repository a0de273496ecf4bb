/**
 * API keys: format and hashing, the role matrix, authentication, and the {@linkcode KeyStore}
 * role with memory, Deno KV and Upstash implementations. Other folders import only this file.
 *
 * @module
 */

export * from "./api_key.ts";
export * from "./hash_api_key.ts";
export * from "./roles.ts";
export * from "./key_store.ts";
export * from "./create_api_key.ts";
export * from "./authenticate_api_key.ts";
export * from "./memory_key_store.ts";
export * from "./kv_key_store.ts";
export * from "./upstash_key_store.ts";
