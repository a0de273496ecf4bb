/**
 * What the parts of {@linkcode KvFaceStore} share: its state ({@linkcode KvFaces}), the stored
 * record shapes, and the helpers that call KV, serialise writes and open stored faces.
 *
 * @module
 */

import { FaceError } from "../../errors.ts";
import type { CollectionRef, FaceRecord } from "./face_store.ts";
import { decodeEmbedding } from "./embedding_codec.ts";
import { RecordSealer } from "../sealing/record_sealer.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import { commitKv, kvBackoff } from "../backends/commit_kv.ts";
import { storeCall } from "../backends/store_call.ts";

export interface SubjectMeta {
  created_at: string;
  updated_at: string;
  face_count: number;
  /** When the subject expires (ISO 8601); absent when it does not. */
  expires_at?: string;
}

/** A face as stored: sealed (`k` set) or, with encryption off and before it existed, plain. */
export interface StoredFace {
  /** Plain float32 LE embedding (unsealed records only). */
  embedding?: Uint8Array;
  /** Sealed embedding (with `k`). */
  sealed?: Uint8Array;
  /** Id of the data key that sealed the record. */
  k?: string;
  /** AAD version of the sealed embedding: 2 binds `created_at` too; absent for v1. */
  a?: 2;
  quality: number;
  created_at: string;
  /** Metadata JSON: sealed bytes with `k`, else the plain string. */
  metadata?: string | Uint8Array;
}

export const LIST_BATCH = 500;
export const MAX_CHECKS = 100;
export const MAX_MUTATIONS = 1000;

/** The state of one `KvFaceStore`, handed to its reads, writes and key maintenance. */
export interface KvFaces {
  /** The KV handle. */
  kv: Deno.Kv;
  /** Key parts before every key. */
  prefix: Deno.KvKeyPart[];
  /** Clock of `created_at` / `updated_at`. */
  now: () => Date;
  /** Tries of a contended atomic write. */
  maxAttempts: number;
  /** Seals and opens records. */
  sealer: RecordSealer;
  /** Faces per gallery chunk. */
  galleryChunk: number;
  /** Per-subject write queues in this isolate. */
  locks: Map<string, Promise<unknown>>;
}

/**
 * A stored face's embedding, opened; null when the record is refused: plain while encryption
 * is on, or not a valid sealed envelope for exactly this place (see `RecordSealer`).
 */
export async function openStoredEmbedding(
  ctx: KvFaces,
  ref: CollectionRef,
  dek: WrappedDataKey | null,
  subject: string,
  faceId: string,
  f: StoredFace,
): Promise<Float32Array | null> {
  if (f.k === undefined) {
    if (ctx.sealer.sealedOnly) return ctx.sealer.refuse(ref, subject, faceId, "plain");
    return decodeEmbedding(f.embedding!);
  }
  if (!(f.sealed instanceof Uint8Array)) {
    return ctx.sealer.refuse(ref, subject, faceId, "altered");
  }
  const createdMs = f.a === 2 ? Date.parse(f.created_at) : null;
  if (createdMs !== null && !Number.isFinite(createdMs)) {
    return ctx.sealer.refuse(ref, subject, faceId, "altered");
  }
  return await ctx.sealer.openEmbedding(ref, dek, subject, faceId, f.k, f.sealed, createdMs);
}

/** A stored face as a record; null when refused (see {@linkcode KvFaceStore.#embedding}). */
export async function storedFaceRecord(
  ctx: KvFaces,
  ref: CollectionRef,
  dek: WrappedDataKey | null,
  subject: string,
  id: string,
  f: StoredFace,
): Promise<FaceRecord | null> {
  const embedding = await openStoredEmbedding(ctx, ref, dek, subject, id, f);
  if (embedding === null) return null;
  const record: FaceRecord = {
    id,
    subject,
    model: ref.model,
    embedding,
    quality: f.quality,
    created_at: f.created_at,
  };
  if (f.metadata !== undefined) {
    const json = f.k === undefined
      ? f.metadata as string
      : await ctx.sealer.openMetadata(ref, dek, subject, id, f.k, f.metadata as Uint8Array);
    if (json === null) return null;
    record.metadata = JSON.parse(json);
  }
  return record;
}

/** Runs a KV call, mapping failures (but not FaceErrors) to `store_unavailable`. */
export function callKv<T>(action: string, fn: () => Promise<T>): Promise<T> {
  return storeCall("kv", action, fn);
}

/** Serialises writes to one subject inside this isolate, so local writers do not contend. */
export async function serialized<T>(
  ctx: KvFaces,
  key: Deno.KvKey,
  fn: () => Promise<T>,
): Promise<T> {
  const id = JSON.stringify(key);
  const prev = ctx.locks.get(id) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => {});
  ctx.locks.set(id, tail);
  try {
    return await run;
  } finally {
    if (ctx.locks.get(id) === tail) ctx.locks.delete(id);
  }
}

/** Commits `op` through {@linkcode commitKv} (lock contention retried); false when a check failed. */
export function commit(op: Deno.AtomicOperation): Promise<boolean> {
  return commitKv(op);
}

export function backoff(attempt: number): Promise<void> {
  return kvBackoff(attempt);
}

export function contended(action: string, name: string): FaceError {
  return new FaceError("conflict", `Cannot ${action} "${name}": too many concurrent writes`);
}
