/**
 * The deletes of `UpstashFaceStore`: a face, a subject, a collection, everything under the prefix.
 *
 * @module
 */

import type { CollectionRef } from "./face_store.ts";
import { redisCollectionKeys, validateName } from "../keys.ts";
import { unavailable } from "../backends/store_call.ts";
import { runScript, UpstashFaces } from "./_upstash_faces.ts";

/** Deletes a subject and its faces atomically; false when it did not exist. */
export async function deleteSubject(
  ctx: UpstashFaces,
  ref: CollectionRef,
  subject: string,
): Promise<boolean> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const n = await runScript(ctx, "DELETE_SUBJECT", "delete a subject", [
    keys.subjects,
    keys.subject(subject),
    keys.faces(subject),
    keys.gallery,
    keys.version,
    keys.expiries,
  ], [subject, crypto.randomUUID()]);
  return Number(n) >= 0;
}

/** Deletes one face, and the subject with its last face, atomically; false when absent. */
export async function deleteFace(
  ctx: UpstashFaces,
  ref: CollectionRef,
  subject: string,
  faceId: string,
): Promise<boolean> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  validateName("face id", faceId);
  const n = await runScript(ctx, "DELETE_FACE", "delete a face", [
    keys.subjects,
    keys.subject(subject),
    keys.faces(subject),
    keys.gallery,
    keys.version,
    keys.expiries,
  ], [subject, faceId, ctx.now().toISOString(), crypto.randomUUID()]);
  return Number(n) === 1;
}

/**
 * Deletes the collection, 100 whole subjects per atomic script call.
 *
 * @returns The number of faces removed.
 */
export async function deleteCollection(ctx: UpstashFaces, ref: CollectionRef): Promise<number> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  let removed = 0;
  while (true) {
    const [faces, subjects] = await runScript(ctx, "DELETE_SUBJECTS", "delete a collection", [
      keys.subjects,
      keys.gallery,
      keys.version,
      keys.dataKey,
      keys.expiries,
    ], [keys.base, 100, crypto.randomUUID()]) as [number, number];
    removed += faces;
    if (subjects === 0) return removed;
  }
}

/**
 * Deletes every key under this store's prefix (SCAN + DEL). For tests and tooling only.
 *
 * @returns The number of keys deleted.
 * @throws {FaceError} `store_unavailable` when Redis fails.
 */
export async function purge(ctx: UpstashFaces): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  const match = ctx.prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
  try {
    do {
      const [next, keys] = await ctx.redis.scan(cursor, { match, count: 500 });
      if (keys.length > 0) deleted += await ctx.redis.del(...keys);
      cursor = String(next);
    } while (cursor !== "0");
  } catch (err) {
    throw unavailable("upstash", "purge the store", err);
  }
  return deleted;
}
