/**
 * {@linkcode BackendFaceStore}: the {@linkcode FaceStore} and {@linkcode KeyMaintenance} surface
 * that the Deno KV and Upstash stores share, written once. Each backend supplies its state and its
 * parts (reads, writes, deletes, key maintenance: plain functions over that state) and adds only
 * what is its own (opening, closing).
 *
 * @module
 */
import type {
  CollectionRef,
  FaceRecord,
  FaceStore,
  Gallery,
  ListSubjectsOptions,
  NewFace,
  SubjectPage,
  SubjectRecord,
} from "./face_store.ts";
import type { KeyMaintenance, RotationReport } from "../sealing/key_maintenance.ts";
import type { RecordSealer } from "../sealing/record_sealer.ts";
import { chunksOfBatches, type GalleryBatch, galleryOfBatches } from "../_store_common.ts";

/** The functions a backend's face store is made of, each over the backend's state `S`. */
export interface FaceStoreParts<S> {
  /** See {@linkcode FaceStore.addFace}. */
  addFace(s: S, ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord>;
  /** See {@linkcode FaceStore.getSubject}. */
  getSubject(s: S, ref: CollectionRef, subject: string): Promise<SubjectRecord | null>;
  /** See {@linkcode FaceStore.listSubjects}. */
  listSubjects(s: S, ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage>;
  /** See {@linkcode FaceStore.deleteSubject}. */
  deleteSubject(s: S, ref: CollectionRef, subject: string): Promise<boolean>;
  /** See {@linkcode FaceStore.deleteFace}. */
  deleteFace(s: S, ref: CollectionRef, subject: string, faceId: string): Promise<boolean>;
  /** See {@linkcode FaceStore.setSubjectExpiry}. */
  setSubjectExpiry(
    s: S,
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean>;
  /** See {@linkcode FaceStore.listCollections}. */
  listCollections(s: S): Promise<CollectionRef[]>;
  /** See {@linkcode FaceStore.deleteCollection}. */
  deleteCollection(s: S, ref: CollectionRef): Promise<number>;
  /** See {@linkcode FaceStore.galleryVersion}. */
  galleryVersion(s: S, ref: CollectionRef): Promise<string | null>;
  /** The subjects' expiries, then the faces in batches, each opened as it arrives. */
  galleryBatches(s: S, ref: CollectionRef): AsyncIterable<GalleryBatch>;
  /** See {@linkcode KeyMaintenance.rotateMasterKey}. */
  rotateMasterKey(s: S): Promise<RotationReport>;
  /** See {@linkcode KeyMaintenance.countPlainRecords}. */
  countPlainRecords(s: S): Promise<number>;
  /** See {@linkcode KeyMaintenance.sealPlainRecords}. */
  sealPlainRecords(s: S): Promise<number>;
  /** See {@linkcode KeyMaintenance.resealLegacyRecords}. */
  resealLegacyRecords(s: S): Promise<number>;
}

/**
 * A face store made of a backend's state and parts; see the backends' module docs for what each
 * call costs and how it stays consistent.
 */
export abstract class BackendFaceStore<S extends { sealer: RecordSealer }>
  implements FaceStore, KeyMaintenance {
  /** The backend's name. */
  abstract readonly kind: string;
  /** The backend's state, handed to every part. */
  protected readonly state: S;
  readonly #parts: FaceStoreParts<S>;

  /**
   * @param state The backend's state.
   * @param parts Its reads, writes, deletes and key maintenance.
   */
  constructor(state: S, parts: FaceStoreParts<S>) {
    this.state = state;
    this.#parts = parts;
  }

  /**
   * Adds a face, creating the subject if needed, atomically.
   *
   * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject is
   *   full (or, on KV, the write stayed contended); `store_unavailable` when the backend fails.
   */
  addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    return this.#parts.addFace(this.state, ref, subject, face);
  }

  /** The subject with its faces (by face id), or null. */
  getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    return this.#parts.getSubject(this.state, ref, subject);
  }

  /** Subjects ordered by name, `limit` per page. */
  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    return this.#parts.listSubjects(this.state, ref, options);
  }

  /** Deletes a subject and its faces atomically; false when it did not exist. */
  deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    return this.#parts.deleteSubject(this.state, ref, subject);
  }

  /** Deletes one face, and the subject with its last face, atomically; false when absent. */
  deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    return this.#parts.deleteFace(this.state, ref, subject, faceId);
  }

  /** Sets or clears a subject's expiry atomically; false when the subject does not exist. */
  setSubjectExpiry(
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean> {
    return this.#parts.setSubjectExpiry(this.state, ref, subject, expiresAt);
  }

  /** Every collection with a subject under this store's prefix, of every model. */
  listCollections(): Promise<CollectionRef[]> {
    return this.#parts.listCollections(this.state);
  }

  /**
   * Deletes every subject of the collection, whole subjects per atomic step, then its data key.
   *
   * @returns The number of faces removed.
   */
  deleteCollection(ref: CollectionRef): Promise<number> {
    return this.#parts.deleteCollection(this.state, ref);
  }

  /** The collection's write token (one read), or null when it was never written. */
  galleryVersion(ref: CollectionRef): Promise<string | null> {
    return this.#parts.galleryVersion(this.state, ref);
  }

  /** Every face of the collection, packed with creation times and subject expiries. */
  gallery(ref: CollectionRef): Promise<Gallery> {
    return galleryOfBatches(this.#parts.galleryBatches(this.state, ref));
  }

  /**
   * The gallery in chunks (see `FaceStore.galleryChunks`): identify indexes each as it arrives,
   * so the whole float32 gallery never exists.
   */
  galleryChunks(ref: CollectionRef): AsyncIterable<Gallery> {
    return chunksOfBatches(this.#parts.galleryBatches(this.state, ref));
  }

  /** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
  rotateMasterKey(): Promise<RotationReport> {
    return this.#parts.rotateMasterKey(this.state);
  }

  /** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
  countPlainRecords(): Promise<number> {
    return this.#parts.countPlainRecords(this.state);
  }

  /** Seals every plain face record in place (see `KeyMaintenance`). */
  sealPlainRecords(): Promise<number> {
    return this.#parts.sealPlainRecords(this.state);
  }

  /** Re-seals every v1-AAD embedding with the v2 AAD (see `KeyMaintenance`). */
  resealLegacyRecords(): Promise<number> {
    return this.#parts.resealLegacyRecords(this.state);
  }

  /** Records refused by sealed-only reads since the store was opened. */
  get refusedRecords(): number {
    return this.state.sealer.refused;
  }

  /** Releases the backend's handle (when the store owns it); idempotent. */
  abstract close(): Promise<void>;
}
