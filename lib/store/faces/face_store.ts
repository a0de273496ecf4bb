/**
 * The storage role: collections -> subjects -> faces. A face is an embedding plus metadata; the
 * image itself is never stored. Every call is scoped by a {@linkcode CollectionRef} that carries the
 * model id, so embeddings of two models never meet.
 *
 * @module
 */
import type { Gallery } from "../../match/mod.ts";

/** The packed gallery type lives in `lib/match` (matching imports nothing from the store). */
export type { Gallery };

/** Which collection, under which embedding model. */
export interface CollectionRef {
  /** Model id from the manifest, e.g. `"fr_feature@faceplugin-0.0.1"`. */
  model: string;
  /** Collection name (validated by the caller: `[A-Za-z0-9_.-]{1,64}`). */
  collection: string;
}

/** A face to enroll. */
export interface NewFace {
  /** Unit-length embedding. */
  embedding: Float32Array;
  /** Quality score in [0, 1] computed by the pipeline. */
  quality: number;
  /** Optional client metadata (small JSON object). */
  metadata?: Record<string, unknown>;
  /**
   * The face id to use, for idempotent retries (e.g. derived from an `Idempotency-Key`): when a
   * face with this id already exists in the subject, `addFace` writes nothing and returns it.
   * Default: a new id.
   */
  id?: string;
  /**
   * Sets the subject's expiry (ISO 8601) in the same atomic write: after it none of the subject's
   * faces match, and a purge deletes them. `null` clears it. Default: the subject's expiry is left
   * as it is (none for a new subject). Not applied when `id` names a face already stored.
   */
  expiresAt?: string | null;
  /**
   * The face's creation time (ISO 8601, not in the future), for a face moved rather than enrolled
   * (a collection converted to another recipe keeps its retention clock). Default: now.
   */
  createdAt?: string;
}

/** A stored face. */
export interface FaceRecord {
  /** Unique face id (assigned by the store). */
  id: string;
  /** The subject it belongs to. */
  subject: string;
  /** Model id that produced the embedding. */
  model: string;
  /** Unit-length embedding. */
  embedding: Float32Array;
  /** Quality score in [0, 1]. */
  quality: number;
  /** ISO-8601 creation time. */
  created_at: string;
  /** Client metadata, if any. */
  metadata?: Record<string, unknown>;
  /**
   * Set by `addFace` when `NewFace.id` named a face the subject already had: nothing was
   * written. Default: absent.
   */
  existing?: true;
}

/** A subject as listed. */
export interface SubjectSummary {
  subject: string;
  face_count: number;
  created_at: string;
  updated_at: string;
  /** When the subject expires (ISO 8601): absent when it does not. */
  expires_at?: string;
}

/** A subject with its faces. */
export interface SubjectRecord extends SubjectSummary {
  faces: FaceRecord[];
}

/** Options for {@linkcode FaceStore.listSubjects}. */
export interface ListSubjectsOptions {
  /** Opaque cursor from a previous page. Default: start. */
  cursor?: string;
  /** Page size, 1..1000. Default: 100. */
  limit?: number;
}

/** One page of subjects, ordered by subject name. */
export interface SubjectPage {
  subjects: SubjectSummary[];
  /** Cursor for the next page, or null when this is the last. */
  next_cursor: string | null;
}

/**
 * Storage for enrolled faces. Implementations: memory, Deno KV, Upstash Redis.
 * All writes are atomic: a face is either fully enrolled (subject created, counted) or not at all.
 * Failures of the backing service throw `FaceError("store_unavailable")`.
 */
export interface FaceStore {
  /** Short name for logs and health, e.g. `"memory"`, `"kv"`, `"upstash"`. */
  readonly kind: string;
  /** Adds a face to a subject, creating the subject if needed. */
  addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord>;
  /** A subject with its faces, or null. */
  getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null>;
  /** Subjects of a collection, paginated by name. */
  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage>;
  /** Deletes a subject and its faces; false when it did not exist. */
  deleteSubject(ref: CollectionRef, subject: string): Promise<boolean>;
  /** Deletes one face; false when it did not exist. Removes the subject when its last face goes. */
  deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean>;
  /**
   * Sets (ISO 8601) or clears (null) a subject's expiry, changing the gallery version; false when
   * the subject does not exist.
   */
  setSubjectExpiry(ref: CollectionRef, subject: string, expiresAt: string | null): Promise<boolean>;
  /** Every collection that holds faces, of every model (maintenance: purging expired faces). */
  listCollections(): Promise<CollectionRef[]>;
  /** Deletes a whole collection; returns the number of faces removed. */
  deleteCollection(ref: CollectionRef): Promise<number>;
  /**
   * Every face of the collection, packed with each face's creation time and each subject's expiry
   * (O(1) round trips for remote stores).
   */
  gallery(ref: CollectionRef): Promise<Gallery>;
  /**
   * Every face of the collection in chunks of bounded size (one round trip each for a remote
   * store), for building an index without holding the whole float32 gallery: each face in one
   * chunk, each chunk's `subjectExpiresAt` covering its subjects. Optional: callers fall back to
   * {@linkcode FaceStore.gallery}.
   */
  galleryChunks?(ref: CollectionRef): AsyncIterable<Gallery>;
  /**
   * A token that changes with every write of the collection (one cheap read), or null when the
   * collection has never been written: lets callers cache the gallery per isolate.
   */
  galleryVersion?(ref: CollectionRef): Promise<string | null>;
  /** Releases connections/handles. */
  close(): Promise<void>;
}
