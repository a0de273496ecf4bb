/**
 * The shard that owns a subject: `fnv1a32(subject) mod shards`, so all of a subject's faces live
 * in one shard and per-subject scoring stays local.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardOf } from "./shard_of.ts";
 * assert.equal(shardOf("ada", 4), shardOf("ada", 4));
 * assert.ok(shardOf("bob", 4) >= 0 && shardOf("bob", 4) < 4);
 * assert.throws(() => shardOf("ada", 0), RangeError);
 * ```
 */
export function shardOf(subject: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) {
    throw new RangeError(`shards must be a positive integer, got ${shards}`);
  }
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(subject);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h % shards;
}
