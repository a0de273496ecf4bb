/**
 * The record shapes of `MemoryFaceStore` and their conversions.
 *
 * @module
 */
import type { FaceRecord } from "./face_store.ts";

export interface StoredFace {
  id: string;
  embedding: Float32Array;
  quality: number;
  created_at: string;
  metadataJson: string | undefined;
}

export interface StoredSubject {
  created_at: string;
  updated_at: string;
  expires_at?: string;
  faces: Map<string, StoredFace>;
}

export function expiresField(state: StoredSubject): { expires_at?: string } {
  return state.expires_at === undefined ? {} : { expires_at: state.expires_at };
}

export function toRecord(model: string, subject: string, f: StoredFace): FaceRecord {
  const record: FaceRecord = {
    id: f.id,
    subject,
    model,
    embedding: new Float32Array(f.embedding),
    quality: f.quality,
    created_at: f.created_at,
  };
  if (f.metadataJson !== undefined) record.metadata = JSON.parse(f.metadataJson);
  return record;
}

/** Runs `fn` so that a synchronous throw becomes a rejected promise. */
export function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
