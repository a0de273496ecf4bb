/**
 * The reads of `UpstashFaceStore`: subjects, pages, collections and the gallery in batches.
 *
 * @module
 */

import type {
  CollectionRef,
  FaceRecord,
  ListSubjectsOptions,
  SubjectPage,
  SubjectRecord,
} from "./face_store.ts";
import { redisCollectionKeys, SCHEMA_VERSION } from "../keys.ts";
import { galleryRecordCreatedAt } from "./embedding_codec.ts";
import { mapBatched, OPEN_BATCH } from "../backends/map_batched.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import {
  decodeCursor,
  encodeCursor,
  expiryMs,
  type GalleryBatch,
  type GalleryRow,
  pageLimit,
} from "../_store_common.ts";
import { unavailable } from "../backends/store_call.ts";
import {
  FaceJson,
  openGalleryRow,
  parseDataKey,
  refOfKey,
  runScript,
  scanKeys,
  UpstashFaces,
} from "./_upstash_faces.ts";

/** The subject with its faces (by face id), or null; one round trip. */
export async function getSubject(
  ctx: UpstashFaces,
  ref: CollectionRef,
  subject: string,
): Promise<SubjectRecord | null> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const reply = await runScript(ctx, "GET_SUBJECT", "read a subject", [
    keys.subjects,
    keys.subject(subject),
    keys.faces(subject),
    keys.gallery,
    keys.dataKey,
  ], []) as [Array<string | null>, string[], string[], string] | null;
  if (reply === null) return null;
  const [meta, flat, packed, dekValue] = reply;
  const dek = parseDataKey(dekValue);
  const faces: FaceRecord[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const id = flat[i];
    const f = JSON.parse(flat[i + 1]) as FaceJson;
    const row = packed[i / 2];
    const opened = await openGalleryRow(ctx, ref, dek, id, row, subject);
    if (opened === null) continue;
    const record: FaceRecord = {
      id,
      subject,
      model: ref.model,
      embedding: opened.embedding,
      quality: f.q,
      // A v2 row's creation time is authenticated: it, not the faces hash, is the truth.
      created_at: opened.createdMs === null ? f.c : new Date(opened.createdMs).toISOString(),
    };
    if (f.m !== undefined) {
      const json = f.k === undefined
        ? f.m
        : await ctx.sealer.openMetadata(ref, dek, subject, id, f.k, Uint8Array.fromBase64(f.m));
      if (json === null) continue;
      record.metadata = JSON.parse(json);
    }
    faces.push(record);
  }
  faces.sort((a, b) => (a.id < b.id ? -1 : 1));
  return {
    subject,
    face_count: Number(meta[2]),
    created_at: meta[0]!,
    updated_at: meta[1]!,
    ...(meta[3] ? { expires_at: meta[3] } : {}),
    faces,
  };
}

/** Subjects ordered by name, `limit` per page; one round trip. */
export async function listSubjects(
  ctx: UpstashFaces,
  ref: CollectionRef,
  options?: ListSubjectsOptions,
): Promise<SubjectPage> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const limit = pageLimit(options);
  const after = decodeCursor(options?.cursor);
  const rows = await runScript(ctx, "LIST_SUBJECTS", "list subjects", [keys.subjects], [
    after === undefined ? "-" : `(${after}`,
    limit + 1,
    keys.base,
  ]) as Array<[string, string, string, string, string]>;
  const more = rows.length > limit;
  const page = rows.slice(0, limit).map(([subject, created_at, updated_at, count, expires]) => ({
    subject,
    face_count: Number(count),
    created_at,
    updated_at,
    ...(expires ? { expires_at: expires } : {}),
  }));
  return {
    subjects: page,
    next_cursor: more ? encodeCursor(page[page.length - 1].subject) : null,
  };
}

/** Every collection with subjects under this store's prefix, of every model (SCAN). */
export async function listCollections(ctx: UpstashFaces): Promise<CollectionRef[]> {
  return (await scanKeys(ctx, `${SCHEMA_VERSION}:{*}:subjects`)).map(refOfKey);
}

/** The collection's write token (one GET), or null when it was never written. */
export async function galleryVersion(
  ctx: UpstashFaces,
  ref: CollectionRef,
): Promise<string | null> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  try {
    const v = await ctx.redis.get<string>(keys.version);
    return v === null || v === undefined ? null : String(v);
  } catch (err) {
    throw unavailable("upstash", "read the gallery version", err);
  }
}

/**
 * Reads the gallery hash batch by batch (HGETALL when small, else HSCAN) and opens each batch as
 * it arrives: only one batch's packed strings are alive at a time. Not a snapshot beyond one
 * batch; a face HSCAN returns twice is kept once.
 */
export async function* galleryBatches(
  ctx: UpstashFaces,
  ref: CollectionRef,
): AsyncIterable<GalleryBatch> {
  const keys = redisCollectionKeys(ref, ctx.prefix);
  const seen = new Set<string>();
  const expiries = new Map<string, number>();
  let dek: WrappedDataKey | null = null;
  let cursor = "0";
  do {
    const [next, flat, dekValue, expiryFlat] = await runScript(ctx, "GALLERY", "read the gallery", [
      keys.gallery,
      keys.dataKey,
      keys.expiries,
    ], [ctx.galleryBatch, cursor]) as [string, string[], string, string[]];
    for (let i = 0; i < (expiryFlat ?? []).length; i += 2) {
      expiries.set(expiryFlat[i], expiryMs(expiryFlat[i + 1]));
    }
    dek ??= parseDataKey(dekValue);
    const fresh: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) {
      if (seen.has(flat[i])) continue;
      seen.add(flat[i]);
      fresh.push([flat[i], flat[i + 1]]);
    }
    const opened = await mapBatched(fresh, OPEN_BATCH, async ([faceId, packed]) => {
      const face = await openGalleryRow(ctx, ref, dek, faceId, packed);
      if (face === null) return null;
      const row: GalleryRow = { subject: face.subject, faceId, embedding: face.embedding };
      const createdAt = face.createdMs ?? galleryRecordCreatedAt(packed);
      if (createdAt !== null) row.createdAt = createdAt;
      return row;
    });
    const rows = opened.filter((r): r is GalleryRow => r !== null);
    await legacyCreationTimes(ctx, keys, rows.filter((r) => r.createdAt === undefined));
    yield { rows, expiries };
    cursor = String(next);
  } while (cursor !== "0");
}

/** Reads the creation time of gallery rows written without one from their face records. */
export async function legacyCreationTimes(
  ctx: UpstashFaces,
  keys: ReturnType<typeof redisCollectionKeys>,
  rows: GalleryRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const found = await runScript(
    ctx,
    "FACE_TIMES",
    "read the gallery",
    rows.map((r) => keys.faces(r.subject)),
    rows.map((r) => r.faceId),
  ) as string[];
  rows.forEach((row, i) => {
    const c = found[i] ? Date.parse((JSON.parse(found[i]) as FaceJson).c) : NaN;
    if (Number.isFinite(c)) row.createdAt = c;
  });
}
