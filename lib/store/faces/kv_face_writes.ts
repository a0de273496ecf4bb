/**
 * The writes of `KvFaceStore` that add or change: add a face, set a subject's expiry; each one
 * atomic operation guarded by the subject summary's versionstamp (see `kv_face_store.ts`).
 *
 * @module
 */

import type { CollectionRef, FaceRecord, NewFace } from "./face_store.ts";
import { kvCollectionKeys, validateName } from "../keys.ts";
import { encodeEmbedding } from "./embedding_codec.ts";
import { RecordSealer } from "../sealing/record_sealer.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import { commitKv, kvBackoff } from "../backends/commit_kv.ts";
import {
  addedFaceRecord,
  checkExpiry,
  checkNewFace,
  MAX_FACES_PER_SUBJECT,
  newFaceId,
  tooManyFaces,
} from "../_store_common.ts";
import {
  backoff,
  callKv,
  commit,
  contended,
  KvFaces,
  serialized,
  StoredFace,
  SubjectMeta,
} from "./_kv_faces.ts";

/**
 * Adds a face, creating the subject if needed; retried on contention.
 *
 * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject is
 *   full or the write stayed contended for `maxAttempts` tries; `store_unavailable` on KV errors.
 */
export async function addFace(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  face: NewFace,
): Promise<FaceRecord> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const subjectKey = keys.subject(subject);
  const checked = checkNewFace(face);
  const expiry = face.expiresAt === undefined ? undefined : checkExpiry(face.expiresAt);
  const id = face.id === undefined ? newFaceId() : validateName("face id", face.id);
  const faceKey = keys.face(subject, id);
  const sealer = ctx.sealer;
  let sealed: Awaited<ReturnType<RecordSealer["sealFace"]>> | undefined;
  let sealedAt = "";
  return await serialized(ctx, subjectKey, async () => {
    for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
      const now = ctx.now().toISOString();
      const [meta, dek, prior] = await callKv(
        "add a face",
        () =>
          ctx.kv.getMany<[SubjectMeta, WrappedDataKey, StoredFace]>([
            subjectKey,
            keys.dataKey,
            faceKey,
          ]),
      );
      if (prior.value !== null) {
        // A retry of a write that already happened (`NewFace.id`): nothing is written.
        return addedFaceRecord(ref, subject, id, checked, prior.value, true);
      }
      const count = meta.value?.face_count ?? 0;
      if (count >= MAX_FACES_PER_SUBJECT) throw tooManyFaces(subject);
      // The data key is checked too: a concurrent deleteCollection may have removed it.
      const op = ctx.kv.atomic().check(meta, dek);
      const created = checked.createdAt ?? now;
      const stored: StoredFace = { quality: checked.quality, created_at: created };
      if (!sealer.sealedOnly) {
        stored.embedding = encodeEmbedding(checked.embedding);
        if (checked.metadataJson !== undefined) stored.metadata = checked.metadataJson;
      } else {
        const wrapped = dek.value ?? await sealer.newDataKey(ref);
        if (dek.value === null) op.set(keys.dataKey, wrapped);
        if (sealed?.k !== wrapped.id || sealedAt !== created) {
          sealedAt = created;
          const dataKey = await callKv("add a face", () => sealer.dataKey(ref, wrapped));
          const { embedding, metadataJson } = checked;
          sealed = await sealer.sealFace(
            dataKey,
            ref,
            subject,
            id,
            embedding,
            metadataJson,
            Date.parse(created),
          );
        }
        Object.assign(stored, { sealed: sealed.embedding, k: sealed.k, a: sealed.aad });
        if (sealed.metadata !== undefined) stored.metadata = sealed.metadata;
      }
      const next: SubjectMeta = {
        created_at: meta.value?.created_at ?? now,
        updated_at: now,
        face_count: count + 1,
      };
      const expires = expiry === undefined ? meta.value?.expires_at : expiry;
      if (expires) next.expires_at = expires;
      const res = await callKv(
        "add a face",
        () =>
          commit(
            op.check(prior).set(subjectKey, next).set(faceKey, stored)
              .set(keys.version, crypto.randomUUID()),
          ),
      );
      if (res) {
        return addedFaceRecord(ref, subject, id, checked, {
          quality: checked.quality,
          created_at: created,
        });
      }
      await backoff(attempt);
    }
    throw contended("add a face", subject);
  });
}

/** Sets or clears a subject's expiry (one atomic write); false when the subject does not exist. */
export async function setSubjectExpiry(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  expiresAt: string | null,
): Promise<boolean> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const subjectKey = keys.subject(subject);
  const expiry = checkExpiry(expiresAt);
  return await serialized(ctx, subjectKey, async () => {
    for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
      const ok = await callKv("set a subject's expiry", async () => {
        const meta = await ctx.kv.get<SubjectMeta>(subjectKey);
        if (meta.value === null) return null;
        const { expires_at: _, ...rest } = meta.value;
        const next: SubjectMeta = { ...rest, updated_at: ctx.now().toISOString() };
        if (expiry !== null) next.expires_at = expiry;
        return await commitKv(
          ctx.kv.atomic().check(meta).set(subjectKey, next)
            .set(keys.version, crypto.randomUUID()),
        );
      });
      if (ok === null) return false;
      if (ok) return true;
      await kvBackoff(attempt);
    }
    throw contended("set a subject's expiry", subject);
  });
}
