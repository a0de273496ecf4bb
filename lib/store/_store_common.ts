/**
 * Private helpers shared by the {@linkcode FaceStore} implementations: input validation, limits,
 * face ids, list cursors and gallery packing. Not exported from `mod.ts`.
 *
 * @module
 */

import { FaceError } from "../errors.ts";
import type { FaceRecord, Gallery, ListSubjectsOptions, NewFace } from "./faces/face_store.ts";
import { validateName } from "./keys.ts";

/** Most faces one subject may hold (keeps a subject deletable in one atomic operation). */
export const MAX_FACES_PER_SUBJECT = 500;
/** Largest embedding accepted, in dimensions. */
export const MAX_EMBEDDING_DIM = 4096;
/** Largest metadata accepted, in bytes of its JSON. */
export const MAX_METADATA_BYTES = 8 * 1024;

/** A validated {@linkcode NewFace}, copied so the caller's buffers can be reused. */
export interface CheckedFace {
  embedding: Float32Array;
  quality: number;
  /** JSON of the metadata, or undefined. */
  metadataJson: string | undefined;
  /** `NewFace.createdAt` normalised to ISO 8601, or undefined (now). */
  createdAt: string | undefined;
}

/**
 * Validates a face to enroll.
 *
 * @throws {RangeError} For an empty, too long or non-finite embedding, or a quality outside [0, 1]
 *   (both come from the pipeline, so they are programmer mistakes).
 * @throws {FaceError} `invalid_request` for metadata that is not a small JSON object.
 */
export function checkNewFace(face: NewFace): CheckedFace {
  const e = face.embedding;
  if (!(e instanceof Float32Array) || e.length === 0 || e.length > MAX_EMBEDDING_DIM) {
    throw new RangeError(
      `Cannot store face: embedding must be a Float32Array of 1..${MAX_EMBEDDING_DIM} values`,
    );
  }
  for (let i = 0; i < e.length; i++) {
    if (!Number.isFinite(e[i])) throw new RangeError("Cannot store face: embedding is not finite");
  }
  if (typeof face.quality !== "number" || !(face.quality >= 0 && face.quality <= 1)) {
    throw new RangeError(`Cannot store face: quality ${face.quality} is outside [0, 1]`);
  }
  let metadataJson: string | undefined;
  if (face.metadata !== undefined) {
    const m = face.metadata;
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      throw new FaceError("invalid_request", "Cannot store face: metadata must be a JSON object", {
        details: { field: "metadata" },
      });
    }
    try {
      metadataJson = JSON.stringify(m);
    } catch (cause) {
      throw new FaceError("invalid_request", "Cannot store face: metadata is not JSON", {
        cause,
        details: { field: "metadata" },
      });
    }
    if (new TextEncoder().encode(metadataJson).length > MAX_METADATA_BYTES) {
      throw new FaceError(
        "invalid_request",
        `Cannot store face: metadata is larger than ${MAX_METADATA_BYTES} bytes of JSON`,
        { details: { field: "metadata" } },
      );
    }
  }
  let createdAt: string | undefined;
  if (face.createdAt !== undefined) {
    const ms = Date.parse(face.createdAt);
    if (!Number.isFinite(ms) || ms > Date.now() + 60_000) {
      throw new RangeError(`Cannot store face: createdAt ${face.createdAt} is not a past time`);
    }
    createdAt = new Date(ms).toISOString();
  }
  return { embedding: new Float32Array(e), quality: face.quality, metadataJson, createdAt };
}

/**
 * The record an `addFace` returns: the checked face as stored at `id`, with the stored quality and
 * creation time (a retry's are the first write's), marked `existing` for a retry.
 */
export function addedFaceRecord(
  ref: { model: string },
  subject: string,
  id: string,
  checked: CheckedFace,
  stored: { quality: number; created_at: string },
  existing = false,
): FaceRecord {
  const record: FaceRecord = {
    id,
    subject,
    model: ref.model,
    embedding: checked.embedding,
    quality: stored.quality,
    created_at: stored.created_at,
  };
  if (checked.metadataJson !== undefined) record.metadata = JSON.parse(checked.metadataJson);
  if (existing) record.existing = true;
  return record;
}

/** The error thrown when a subject already holds {@linkcode MAX_FACES_PER_SUBJECT} faces. */
export function tooManyFaces(subject: string): FaceError {
  return new FaceError(
    "conflict",
    `Cannot add face to subject "${subject}": it already has ${MAX_FACES_PER_SUBJECT} faces`,
    { details: { limit: MAX_FACES_PER_SUBJECT } },
  );
}

let lastMs = 0;
let seq = 0;

/**
 * A new face id: 11 base-36 chars of time, a per-process sequence and random chars, so ids sort
 * by creation time within a process and never collide across processes.
 */
export function newFaceId(now = Date.now()): string {
  if (now <= lastMs) {
    seq++;
  } else {
    lastMs = now;
    seq = 0;
  }
  const rnd = crypto.getRandomValues(new Uint8Array(6));
  let tail = "";
  for (const b of rnd) tail += (b % 36).toString(36);
  return lastMs.toString(36).padStart(11, "0") + seq.toString(36).padStart(4, "0") + tail;
}

/** Page size from options: 1..1000, default 100. */
export function pageLimit(options: ListSubjectsOptions | undefined): number {
  const limit = options?.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new FaceError(
      "invalid_request",
      `Cannot list subjects: limit ${limit} is not in 1..1000`,
      {
        details: { field: "limit" },
      },
    );
  }
  return limit;
}

/** Opaque cursor naming the last subject of a page. */
export function encodeCursor(lastSubject: string): string {
  return new TextEncoder().encode(`s:${lastSubject}`)
    .toBase64({ alphabet: "base64url", omitPadding: true });
}

/**
 * The last subject named by a cursor, or undefined when there is none.
 *
 * @throws {FaceError} `invalid_request` for a cursor this module did not make.
 */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  let text: string;
  try {
    const bytes = Uint8Array.fromBase64(cursor, { alphabet: "base64url" });
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = "";
  }
  if (!text.startsWith("s:")) {
    throw new FaceError("invalid_request", "Cannot list subjects: the cursor is malformed", {
      details: { field: "cursor" },
    });
  }
  return validateName("subject", text.slice(2));
}

/** One face as read for a gallery. */
export interface GalleryRow {
  subject: string;
  faceId: string;
  embedding: Float32Array;
  /** Creation time, ms since the epoch. Default: unknown (never too old: `Infinity`). */
  createdAt?: number;
}

/**
 * Packs rows into a {@linkcode Gallery}, ordered by subject then face id, with each face's
 * creation time and each subject's expiry (from `expiries`, subject -> ms; `Infinity` without).
 *
 * @throws {FaceError} `model_mismatch` when rows have different dimensions.
 */
export function packGallery(
  rows: GalleryRow[],
  expiries: ReadonlyMap<string, number> = new Map(),
): Gallery {
  rows.sort((a, b) =>
    a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : a.faceId < b.faceId ? -1 : 1
  );
  const dim = rows.length === 0 ? 0 : rows[0].embedding.length;
  const subjects: string[] = [];
  const subjectIndex = new Int32Array(rows.length);
  const faceIds: string[] = [];
  const vectors = new Float32Array(rows.length * dim);
  const createdAt = new Float64Array(rows.length);
  const expires: number[] = [];
  rows.forEach((row, i) => {
    if (row.embedding.length !== dim) {
      throw new FaceError(
        "model_mismatch",
        `Cannot build gallery: face ${row.faceId} has ${row.embedding.length} dimensions, not ${dim}`,
      );
    }
    if (subjects.length === 0 || subjects[subjects.length - 1] !== row.subject) {
      subjects.push(row.subject);
      expires.push(expiries.get(row.subject) ?? Infinity);
    }
    subjectIndex[i] = subjects.length - 1;
    faceIds.push(row.faceId);
    vectors.set(row.embedding, i * dim);
    createdAt[i] = row.createdAt ?? Infinity;
  });
  return {
    dim,
    subjects,
    subjectIndex,
    faceIds,
    vectors,
    createdAt,
    subjectExpiresAt: Float64Array.from(expires),
  };
}

/** One batch of a store's gallery read: its opened rows and every subject expiry known so far. */
export interface GalleryBatch {
  rows: GalleryRow[];
  /** Subject -> expiry (ms); complete from the first batch on. */
  expiries: Map<string, number>;
}

/** The whole gallery from a store's batches ({@linkcode FaceStore.gallery}). */
export async function galleryOfBatches(batches: AsyncIterable<GalleryBatch>): Promise<Gallery> {
  const rows: GalleryRow[] = [];
  let expiries = new Map<string, number>();
  for await (const batch of batches) {
    for (const row of batch.rows) rows.push(row);
    expiries = batch.expiries;
  }
  return packGallery(rows, expiries);
}

/** Each non-empty batch packed on its own ({@linkcode FaceStore.galleryChunks}). */
export async function* chunksOfBatches(
  batches: AsyncIterable<GalleryBatch>,
): AsyncIterable<Gallery> {
  for await (const batch of batches) {
    if (batch.rows.length > 0) yield packGallery(batch.rows, batch.expiries);
  }
}

/**
 * Checks a subject expiry given to a store: an ISO 8601 time (normalised to `toISOString()`), or
 * null to clear it.
 *
 * @throws {RangeError} For anything else (the use cases validate client input first).
 */
export function checkExpiry(expiresAt: string | null): string | null {
  if (expiresAt === null) return null;
  const ms = typeof expiresAt === "string" ? Date.parse(expiresAt) : NaN;
  if (!Number.isFinite(ms)) {
    throw new RangeError(`Cannot store subject expiry ${JSON.stringify(expiresAt)}: not a time`);
  }
  return new Date(ms).toISOString();
}

/** Milliseconds of a stored ISO time, `Infinity` when absent. */
export function expiryMs(expiresAt: string | null | undefined): number {
  if (expiresAt === null || expiresAt === undefined || expiresAt === "") return Infinity;
  const ms = Date.parse(expiresAt);
  return Number.isFinite(ms) ? ms : Infinity;
}
