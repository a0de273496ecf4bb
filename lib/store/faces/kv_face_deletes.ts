/**
 * The deletes of `KvFaceStore`: a face, a subject (one atomic operation), a collection (in chunks
 * of whole subjects, then its data key).
 *
 * @module
 */

import type { CollectionRef } from "./face_store.ts";
import { kvCollectionKeys } from "../keys.ts";
import { commitKv, kvBackoff } from "../backends/commit_kv.ts";
import {
  callKv,
  commit,
  contended,
  KvFaces,
  LIST_BATCH,
  MAX_CHECKS,
  MAX_MUTATIONS,
  serialized,
  StoredFace,
  SubjectMeta,
} from "./_kv_faces.ts";

/** Deletes a subject and its faces in one atomic operation; false when it did not exist. */
export async function deleteSubject(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
): Promise<boolean> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const subjectKey = keys.subject(subject);
  const facesPrefix = keys.subjectFaces(subject);
  return await serialized(ctx, subjectKey, async () => {
    for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
      const ok = await callKv("delete a subject", async () => {
        const meta = await ctx.kv.get<SubjectMeta>(subjectKey);
        if (meta.value === null) return null;
        const op = ctx.kv.atomic().check(meta).delete(subjectKey)
          .set(keys.version, crypto.randomUUID());
        for await (const e of ctx.kv.list({ prefix: facesPrefix }, { batchSize: LIST_BATCH })) {
          op.delete(e.key);
        }
        return (await commitKv(op));
      });
      if (ok === null) return false;
      if (ok) return true;
      await kvBackoff(attempt);
    }
    throw contended("delete a subject", subject);
  });
}

/** Deletes one face, and the subject with its last face; false when it did not exist. */
export async function deleteFace(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  faceId: string,
): Promise<boolean> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const subjectKey = keys.subject(subject);
  const faceKey = keys.face(subject, faceId);
  return await serialized(ctx, subjectKey, async () => {
    for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
      const ok = await callKv("delete a face", async () => {
        const [meta, face] = await ctx.kv.getMany<[SubjectMeta, StoredFace]>([
          subjectKey,
          faceKey,
        ]);
        if (meta.value === null || face.value === null) return null;
        const op = ctx.kv.atomic().check(meta, face).delete(faceKey)
          .set(keys.version, crypto.randomUUID());
        if (meta.value.face_count <= 1) op.delete(subjectKey);
        else {
          op.set(subjectKey, {
            ...meta.value,
            face_count: meta.value.face_count - 1,
            updated_at: ctx.now().toISOString(),
          });
        }
        return (await commitKv(op));
      });
      if (ok === null) return false;
      if (ok) return true;
      await kvBackoff(attempt);
    }
    throw contended("delete a face", subject);
  });
}

/**
 * Deletes every subject of the collection, whole subjects per atomic operation (see module doc).
 *
 * @returns The number of faces removed.
 */
export async function deleteCollection(ctx: KvFaces, ref: CollectionRef): Promise<number> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  let removed = 0;
  let conflicts = 0;
  while (true) {
    const batch = await callKv("delete a collection", async () => {
      const op = ctx.kv.atomic();
      let checks = 0;
      let mutations = 1; // the version token
      let faces = 0;
      const iter = ctx.kv.list<SubjectMeta>({ prefix: keys.subjects }, { limit: MAX_CHECKS });
      for await (const meta of iter) {
        const cost = 1 + meta.value.face_count;
        if (checks === MAX_CHECKS || (checks > 0 && mutations + cost > MAX_MUTATIONS)) break;
        const subject = meta.key[meta.key.length - 1] as string;
        op.check(meta).delete(meta.key);
        for await (const e of ctx.kv.list({ prefix: keys.subjectFaces(subject) })) {
          op.delete(e.key);
          faces++;
        }
        checks++;
        mutations += cost;
      }
      if (checks === 0) return null;
      op.set(keys.version, crypto.randomUUID());
      return (await commitKv(op)) ? faces : -1;
    });
    if (batch === null) {
      if (await dropDataKey(ctx, keys)) return removed;
      if (++conflicts >= ctx.maxAttempts) {
        throw contended("delete a collection", ref.collection);
      }
      continue;
    }
    if (batch >= 0) {
      removed += batch;
      continue;
    }
    if (++conflicts >= ctx.maxAttempts) throw contended("delete a collection", ref.collection);
    await kvBackoff(conflicts);
  }
}

/**
 * Deletes the collection's data key once it holds no subject (crypto-shredding whatever copy of
 * its records may survive in backups). False when a concurrent write got in: the caller retries.
 */
export async function dropDataKey(
  ctx: KvFaces,
  keys: ReturnType<typeof kvCollectionKeys>,
): Promise<boolean> {
  return await callKv("delete a collection", async () => {
    const [version, dek] = await ctx.kv.getMany([keys.version, keys.dataKey]);
    if (dek.value === null) return true;
    for await (const _ of ctx.kv.list({ prefix: keys.subjects }, { limit: 1 })) return false;
    return await commit(
      ctx.kv.atomic().check(version).delete(keys.dataKey).set(
        keys.version,
        crypto.randomUUID(),
      ),
    );
  });
}
