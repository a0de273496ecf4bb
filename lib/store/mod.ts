/**
 * Storage of enrolled faces: the {@linkcode FaceStore} role, its memory, Deno KV and Upstash Redis
 * implementations, the key schema and the embedding codec. Other folders import only this file.
 *
 * @module
 */

export * from "./face_store.ts";
export * from "./keys.ts";
export * from "./embedding_codec.ts";
export * from "./memory_face_store.ts";
export * from "./kv_face_store.ts";
export * from "./upstash_face_store.ts";
export * from "./idempotency_store.ts";
export * from "./idempotency_memory_store.ts";
export * from "./idempotency_kv_store.ts";
export * from "./idempotency_upstash_store.ts";
export * from "./find_mentions.ts";
export * from "./commit_kv.ts";
export * from "./upstash_redis.ts";
export { MAX_EMBEDDING_DIM, MAX_FACES_PER_SUBJECT, MAX_METADATA_BYTES } from "./_store_common.ts";
export * from "./master_keyring.ts";
export * from "./template_cipher.ts";
export type { RefusedReason, RefusedRecord, StoreEncryption } from "./_sealing.ts";
export * from "./key_maintenance.ts";
export * from "./policy_store.ts";
export * from "./policy_kv_store.ts";
export * from "./policy_upstash_store.ts";
export * from "./audit_store.ts";
export * from "./audit_kv_store.ts";
export * from "./audit_upstash_store.ts";
export * from "./liveness_session_store.ts";
export * from "./liveness_session_kv_store.ts";
export * from "./liveness_session_upstash_store.ts";
