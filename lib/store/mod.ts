/**
 * Storage, one folder per concept, each with its role (interface) and its memory / Deno KV /
 * Upstash backends side by side:
 *
 * - `faces/`: enrolled faces ({@linkcode FaceStore}), the embedding codec, mention search.
 * - `sealing/`: envelope encryption of templates: master keyring, template cipher, data keys,
 *   the record sealer and key maintenance.
 * - `idempotency/`: idempotency records of writes and webhook deliveries.
 * - `policies/`: each collection's match policy.
 * - `audit/`: each collection's audit trail.
 * - `liveness_sessions/`: liveness challenge sessions.
 * - `backends/`: what the KV and Upstash backends share (atomic commits, the Redis client).
 * - `keys.ts`: the one key schema; `_store_common.ts`: limits, validation and gallery helpers.
 *
 * Other folders import only this file.
 *
 * @module
 */

export * from "./keys.ts";
export { MAX_EMBEDDING_DIM, MAX_FACES_PER_SUBJECT, MAX_METADATA_BYTES } from "./_store_common.ts";
export * from "./backends/commit_kv.ts";
export * from "./backends/upstash_redis.ts";

export * from "./faces/face_store.ts";
export * from "./faces/embedding_codec.ts";
export * from "./faces/memory_face_store.ts";
export * from "./faces/kv_face_store.ts";
export * from "./faces/upstash_face_store.ts";
export * from "./faces/find_mentions.ts";

export * from "./sealing/master_keyring.ts";
export * from "./sealing/template_cipher.ts";
export type { RefusedReason, RefusedRecord, StoreEncryption } from "./sealing/record_sealer.ts";
export * from "./sealing/key_maintenance.ts";

export * from "./idempotency/idempotency_store.ts";
export * from "./idempotency/idempotency_keys.ts";
export * from "./idempotency/idempotency_records.ts";
export * from "./idempotency/idempotency_memory_store.ts";
export * from "./idempotency/idempotency_kv_store.ts";
export * from "./idempotency/idempotency_upstash_store.ts";

export * from "./policies/policy_store.ts";
export * from "./policies/policy_kv_store.ts";
export * from "./policies/policy_upstash_store.ts";

export * from "./audit/audit_store.ts";
export * from "./audit/audit_kv_store.ts";
export * from "./audit/audit_upstash_store.ts";

export * from "./liveness_sessions/liveness_session_store.ts";
export * from "./liveness_sessions/liveness_session_kv_store.ts";
export * from "./liveness_sessions/liveness_session_upstash_store.ts";
