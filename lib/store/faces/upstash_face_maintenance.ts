/**
 * Key maintenance of `UpstashFaceStore` (see `KeyMaintenance`): rotate the master key, count,
 * seal and re-seal records.
 *
 * @module
 */

import type { CollectionRef } from "./face_store.ts";
import { redisCollectionKeys, SCHEMA_VERSION } from "../keys.ts";
import {
  galleryRecordCreatedAt,
  packSealedGalleryRecord,
  stampGalleryRecord,
  unpackGalleryRecord,
  unpackSealedGalleryRecord,
} from "./embedding_codec.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import type { RotationReport } from "../sealing/key_maintenance.ts";
import { unavailable } from "../backends/store_call.ts";
import {
  dataKeyOf,
  FaceJson,
  getKey,
  isSealedRow,
  parseDataKey,
  refOfKey,
  runScript,
  scanKeys,
  UpstashFaces,
} from "./_upstash_faces.ts";

/** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
export async function rotateMasterKey(ctx: UpstashFaces): Promise<RotationReport> {
  const cipher = ctx.sealer.require("rotate the master key");
  const report = { collections: 0, rewrapped: 0, master_key_id: cipher.keyring.newest.id };
  for (const key of await scanKeys(ctx, `${SCHEMA_VERSION}:{*}:dek`)) {
    const scope = ctx.sealer.scope(refOfKey(key));
    for (let attempt = 0;; attempt++) {
      const value = await getKey(ctx, key, "rotate the master key");
      const stored = parseDataKey(value);
      if (stored === null) break;
      if (attempt === 0) report.collections++;
      const next = await cipher.rewrap(scope, stored);
      if (next === null) break;
      const swapped = await runScript(ctx, "SWAP_DATA_KEY", "rotate the master key", [key], [
        value!,
        `${next.id}.${next.kid}.${next.wrapped}`,
      ]);
      if (Number(swapped) === 1) {
        report.rewrapped++;
        break;
      }
      if (attempt >= 20) {
        throw unavailable("upstash", "rotate the master key", new Error("contended"));
      }
    }
  }
  ctx.dataKeys.clear();
  return report;
}

/** Seals every plain face record in place (see `KeyMaintenance`). */
export async function sealPlainRecords(ctx: UpstashFaces): Promise<number> {
  ctx.sealer.require("seal plain records");
  let count = 0;
  await eachPlainRow(ctx, "seal plain records", async (ref, faceId, packed) => {
    if (await sealOne(ctx, ref, faceId, packed)) count++;
  });
  return count;
}

/** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
export async function countPlainRecords(ctx: UpstashFaces): Promise<number> {
  let count = 0;
  await eachPlainRow(ctx, "count plain records", () => {
    count++;
    return Promise.resolve();
  });
  return count;
}

/** Calls `fn` for each plain gallery row of every collection (SCAN, then HSCAN batches). */
export async function eachPlainRow(
  ctx: UpstashFaces,
  action: string,
  fn: (ref: CollectionRef, faceId: string, packed: string) => Promise<void>,
): Promise<void> {
  for (const galleryKey of await scanKeys(ctx, `${SCHEMA_VERSION}:{*}:gallery`)) {
    const ref = refOfKey(galleryKey);
    const keys = redisCollectionKeys(ref, ctx.prefix);
    let cursor = "0";
    do {
      const [next, flat] = await runScript(ctx, "GALLERY", action, [
        keys.gallery,
        keys.dataKey,
      ], [ctx.galleryBatch, cursor]) as [string, string[], string];
      for (let i = 0; i < flat.length; i += 2) {
        if (isSealedRow(flat[i + 1])) continue;
        await fn(ref, flat[i], flat[i + 1]);
      }
      cursor = String(next);
    } while (cursor !== "0");
  }
}

/** Re-seals every v1-AAD gallery row with the v2 AAD (see `KeyMaintenance`). */
export async function resealLegacyRecords(ctx: UpstashFaces): Promise<number> {
  ctx.sealer.require("re-seal records");
  let count = 0;
  for (const galleryKey of await scanKeys(ctx, `${SCHEMA_VERSION}:{*}:gallery`)) {
    const ref = refOfKey(galleryKey);
    const keys = redisCollectionKeys(ref, ctx.prefix);
    let cursor = "0";
    do {
      const [next, flat, dekValue] = await runScript(ctx, "GALLERY", "re-seal records", [
        keys.gallery,
        keys.dataKey,
      ], [ctx.galleryBatch, cursor]) as [string, string[], string];
      const dek = parseDataKey(dekValue);
      for (let i = 0; i < flat.length; i += 2) {
        if (await resealOne(ctx, ref, dek, flat[i], flat[i + 1])) count++;
      }
      cursor = String(next);
    } while (cursor !== "0");
  }
  return count;
}

/** Re-seals one v1 row under the v2 AAD; false when it is not v1, does not open, or changed. */
export async function resealOne(
  ctx: UpstashFaces,
  ref: CollectionRef,
  dek: WrappedDataKey | null,
  faceId: string,
  packed: string,
): Promise<boolean> {
  let row;
  try {
    row = unpackSealedGalleryRecord(packed);
  } catch {
    return false;
  }
  if (row === null || row.aad !== 1 || dek === null) return false;
  const { subject, keyId } = row;
  const embedding = await ctx.sealer.openEmbedding(
    ref,
    dek,
    subject,
    faceId,
    keyId,
    row.sealed,
    null,
  );
  if (embedding === null) return false;
  let createdMs = galleryRecordCreatedAt(packed);
  if (createdMs === null) {
    const keys = redisCollectionKeys(ref, ctx.prefix);
    const json = await runScript(ctx, "FACE_TIMES", "re-seal records", [keys.faces(subject)], [
      faceId,
    ]) as string[];
    createdMs = json[0] ? Date.parse((JSON.parse(json[0]) as FaceJson).c) : NaN;
    if (!Number.isFinite(createdMs)) return false;
  }
  const dataKey = await ctx.sealer.dataKey(ref, dek);
  const sealed = await ctx.sealer.sealFace(
    dataKey,
    ref,
    subject,
    faceId,
    embedding,
    undefined,
    createdMs,
  );
  const next = stampGalleryRecord(
    packSealedGalleryRecord(subject, keyId, sealed.embedding),
    createdMs,
  );
  const keys = redisCollectionKeys(ref, ctx.prefix);
  return Number(
    await runScript(ctx, "SWAP_ROW", "re-seal records", [keys.gallery], [faceId, packed, next]),
  ) === 1;
}

/** Seals one plain face (gallery row and metadata); false when it changed meanwhile. */
export async function sealOne(
  ctx: UpstashFaces,
  ref: CollectionRef,
  faceId: string,
  packed: string,
): Promise<boolean> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const { subject, embedding } = unpackGalleryRecord(packed);
  let oldJson: string | null;
  try {
    oldJson = await ctx.redis.hget<string>(keys.faces(subject), faceId);
  } catch (err) {
    throw unavailable("upstash", "seal plain records", err);
  }
  if (oldJson === null || oldJson === undefined) return false;
  const f = JSON.parse(String(oldJson)) as FaceJson;
  for (let attempt = 0; attempt < 5; attempt++) {
    const wrapped = await dataKeyOf(ctx, ref, keys.dataKey, attempt > 0);
    const dataKey = await ctx.sealer.dataKey(ref, wrapped);
    // Unstamped rows (before retention) take their face's creation time, now authenticated.
    const createdAt = galleryRecordCreatedAt(packed) ?? Date.parse(f.c);
    const sealed = await ctx.sealer.sealFace(
      dataKey,
      ref,
      subject,
      faceId,
      embedding,
      f.m,
      createdAt,
    );
    const json: FaceJson = { q: f.q, c: f.c, k: sealed.k };
    if (sealed.metadata !== undefined) json.m = sealed.metadata.toBase64();
    const row = packSealedGalleryRecord(subject, sealed.k, sealed.embedding);
    const ok = await runScript(ctx, "SEAL_FACE", "seal plain records", [
      keys.gallery,
      keys.faces(subject),
      keys.dataKey,
    ], [
      faceId,
      packed,
      stampGalleryRecord(row, createdAt),
      String(oldJson),
      JSON.stringify(json),
      sealed.k,
    ]);
    if (Number(ok) === 1) return true;
  }
  return false;
}
