/**
 * Gallery shards: a collection's faces spread over `S` Durable Objects by `hash(subject) mod S`,
 * each with its rows in its own SQLite storage and a resident int8 index; the Worker fans a probe
 * out to all of them and merges. The Durable Object class is `functions/gallery_shard.ts`.
 *
 * @module
 */
export * from "./shard_of.ts";
export * from "./merge_shard_results.ts";
export * from "./shard_protocol.ts";
export * from "./sharded_face_store.ts";
