/**
 * The writes of `UpstashFaceStore` that add or change: add a face, set a subject's expiry; each
 * one atomic script.
 *
 * @module
 */

import type { CollectionRef, FaceRecord, NewFace } from "./face_store.ts";
import { redisCollectionKeys, validateName } from "../keys.ts";
import {
  packGalleryRecord,
  packSealedGalleryRecord,
  stampGalleryRecord,
} from "./embedding_codec.ts";
import {
  addedFaceRecord,
  checkExpiry,
  checkNewFace,
  MAX_FACES_PER_SUBJECT,
  newFaceId,
  tooManyFaces,
} from "../_store_common.ts";
import { unavailable } from "../backends/store_call.ts";
import { dataKeyOf, FaceJson, runScript, UpstashFaces } from "./_upstash_faces.ts";

/**
 * Adds a face, creating the subject if needed, in one atomic script.
 *
 * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject
 *   already has `MAX_FACES_PER_SUBJECT` faces; `store_unavailable` when Redis fails.
 */
export async function addFace(
  ctx: UpstashFaces,
  ref: CollectionRef,
  subject: string,
  face: NewFace,
): Promise<FaceRecord> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const checked = checkNewFace(face);
  const expiry = face.expiresAt === undefined ? "" : checkExpiry(face.expiresAt) ?? "-";
  const id = face.id === undefined ? newFaceId() : validateName("face id", face.id);
  const nowDate = ctx.now();
  const now = nowDate.toISOString();
  const created = checked.createdAt ?? now;
  const createdMs = Date.parse(created);
  let status: unknown = "rekey";
  // 'rekey': the collection's data key changed (deleted or created elsewhere) since it was read.
  for (let attempt = 0; status === "rekey" && attempt < 5; attempt++) {
    const json: FaceJson = { q: checked.quality, c: created };
    let packed: string;
    let keyId = "";
    const sealer = ctx.sealer;
    if (!sealer.sealedOnly) {
      if (checked.metadataJson !== undefined) json.m = checked.metadataJson;
      packed = packGalleryRecord(subject, checked.embedding);
    } else {
      const wrapped = await dataKeyOf(ctx, ref, keys.dataKey, attempt > 0);
      const dataKey = await sealer.dataKey(ref, wrapped);
      const { embedding, metadataJson } = checked;
      const sealed = await sealer.sealFace(
        dataKey,
        ref,
        subject,
        id,
        embedding,
        metadataJson,
        createdMs,
      );
      keyId = json.k = sealed.k;
      if (sealed.metadata !== undefined) json.m = sealed.metadata.toBase64();
      packed = packSealedGalleryRecord(subject, sealed.k, sealed.embedding);
    }
    status = await runScript(ctx, "ADD", "add a face", [
      keys.subjects,
      keys.subject(subject),
      keys.faces(subject),
      keys.gallery,
      keys.version,
      keys.dataKey,
      keys.expiries,
    ], [
      subject,
      id,
      JSON.stringify(json),
      stampGalleryRecord(packed, createdMs),
      now,
      MAX_FACES_PER_SUBJECT,
      crypto.randomUUID(),
      keyId,
      expiry,
    ]);
  }
  if (status === "full") throw tooManyFaces(subject);
  if (status !== "ok" && status !== "exists") {
    throw unavailable("upstash", "add a face", new Error(String(status)));
  }
  const record = addedFaceRecord(ref, subject, id, checked, {
    quality: checked.quality,
    created_at: created,
  }, status === "exists");
  return record;
}

/** Sets or clears a subject's expiry in one script; false when the subject does not exist. */
export async function setSubjectExpiry(
  ctx: UpstashFaces,
  ref: CollectionRef,
  subject: string,
  expiresAt: string | null,
): Promise<boolean> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const n = await runScript(ctx, "SET_EXPIRY", "set a subject's expiry", [
    keys.subject(subject),
    keys.expiries,
    keys.version,
  ], [subject, checkExpiry(expiresAt) ?? "", ctx.now().toISOString(), crypto.randomUUID()]);
  return Number(n) === 1;
}
