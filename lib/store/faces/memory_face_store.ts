/**
 * {@linkcode FaceStore} kept in the memory of one isolate: for tests, benchmarks and single-process
 * development. Data is lost when the process ends.
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
import { validateName } from "../keys.ts";
import {
  checkExpiry,
  checkNewFace,
  decodeCursor,
  encodeCursor,
  expiryMs,
  MAX_FACES_PER_SUBJECT,
  newFaceId,
  packGallery,
  pageLimit,
  tooManyFaces,
} from "../_store_common.ts";
import { attempt, expiresField, StoredFace, StoredSubject, toRecord } from "./_memory_faces.ts";

/** Options for {@linkcode MemoryFaceStore}. */
export interface MemoryFaceStoreOptions {
  /** Clock for `created_at` / `updated_at`. Default: `() => new Date()`. */
  now?: () => Date;
}

/**
 * A {@linkcode FaceStore} in a `Map`. Every method completes synchronously under the hood, so each
 * write is trivially atomic. Embeddings are copied in and out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryFaceStore } from "./memory_face_store.ts";
 * const store = new MemoryFaceStore();
 * const ref = { model: "m@1", collection: "staff" };
 * await store.addFace(ref, "ann", { embedding: new Float32Array([1, 0]), quality: 0.9 });
 * assert.equal((await store.gallery(ref)).subjects[0], "ann");
 * await store.close();
 * ```
 */
export class MemoryFaceStore implements FaceStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #collections = new Map<string, Map<string, StoredSubject>>();
  /** Write token per collection (see `galleryVersion`). */
  #versions = new WeakMap<Map<string, StoredSubject>, string>();
  #now: () => Date;

  /** Creates an empty store. */
  constructor(options: MemoryFaceStoreOptions = {}) {
    this.#now = options.now ?? (() => new Date());
  }

  #collection(ref: CollectionRef, create: false): Map<string, StoredSubject> | undefined;
  #collection(ref: CollectionRef, create: true): Map<string, StoredSubject>;
  #collection(ref: CollectionRef, create: boolean): Map<string, StoredSubject> | undefined {
    const key = JSON.stringify([
      validateName("model", ref.model),
      validateName("collection", ref.collection),
    ]);
    let coll = this.#collections.get(key);
    if (!coll && create) {
      coll = new Map();
      this.#collections.set(key, coll);
    }
    return coll;
  }

  /**
   * Adds a face, creating the subject if needed.
   *
   * @returns The stored face.
   * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject
   *   already has `MAX_FACES_PER_SUBJECT` faces.
   */
  addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    return attempt(() => {
      validateName("subject", subject);
      const checked = checkNewFace(face);
      const expiry = face.expiresAt === undefined ? undefined : checkExpiry(face.expiresAt);
      const coll = this.#collection(ref, true);
      const now = this.#now().toISOString();
      let state = coll.get(subject);
      const existing = face.id === undefined ? undefined : state?.faces.get(face.id);
      if (existing) return { ...toRecord(ref.model, subject, existing), existing: true };
      if (state && state.faces.size >= MAX_FACES_PER_SUBJECT) throw tooManyFaces(subject);
      if (!state) {
        state = { created_at: now, updated_at: now, faces: new Map() };
        coll.set(subject, state);
      }
      const stored: StoredFace = {
        id: face.id === undefined ? newFaceId() : validateName("face id", face.id),
        embedding: checked.embedding,
        quality: checked.quality,
        created_at: checked.createdAt ?? now,
        metadataJson: checked.metadataJson,
      };
      state.faces.set(stored.id, stored);
      state.updated_at = now;
      if (expiry === null) delete state.expires_at;
      else if (expiry !== undefined) state.expires_at = expiry;
      this.#versions.set(coll, crypto.randomUUID());
      return toRecord(ref.model, subject, stored);
    });
  }

  /** The subject with its faces (by face id), or null. */
  getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    return attempt(() => {
      validateName("subject", subject);
      const state = this.#collection(ref, false)?.get(subject);
      if (!state) return null;
      const faces = [...state.faces.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return {
        subject,
        face_count: faces.length,
        created_at: state.created_at,
        updated_at: state.updated_at,
        ...expiresField(state),
        faces: faces.map((f) => toRecord(ref.model, subject, f)),
      };
    });
  }

  /** Subjects ordered by name, `limit` per page. */
  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    return attempt(() => {
      const limit = pageLimit(options);
      const after = decodeCursor(options?.cursor);
      const coll = this.#collection(ref, false);
      const names = [...(coll?.keys() ?? [])]
        .filter((s) => after === undefined || s > after)
        .sort();
      const page = names.slice(0, limit);
      return {
        subjects: page.map((s) => {
          const state = coll!.get(s)!;
          return {
            subject: s,
            face_count: state.faces.size,
            created_at: state.created_at,
            updated_at: state.updated_at,
            ...expiresField(state),
          };
        }),
        next_cursor: names.length > limit ? encodeCursor(page[page.length - 1]) : null,
      };
    });
  }

  /** Deletes a subject; false when it did not exist. */
  deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    return attempt(() => {
      validateName("subject", subject);
      const coll = this.#collection(ref, false);
      if (!coll?.delete(subject)) return false;
      this.#versions.set(coll, crypto.randomUUID());
      return true;
    });
  }

  /** Deletes one face, and the subject with its last face; false when it did not exist. */
  deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    return attempt(() => {
      validateName("subject", subject);
      validateName("face id", faceId);
      const coll = this.#collection(ref, false);
      const state = coll?.get(subject);
      if (!state || !state.faces.delete(faceId)) return false;
      if (state.faces.size === 0) coll!.delete(subject);
      else state.updated_at = this.#now().toISOString();
      this.#versions.set(coll!, crypto.randomUUID());
      return true;
    });
  }

  /** Sets or clears a subject's expiry; false when the subject does not exist. */
  setSubjectExpiry(
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean> {
    return attempt(() => {
      validateName("subject", subject);
      const expiry = checkExpiry(expiresAt);
      const coll = this.#collection(ref, false);
      const state = coll?.get(subject);
      if (!state) return false;
      if (expiry === null) delete state.expires_at;
      else state.expires_at = expiry;
      state.updated_at = this.#now().toISOString();
      this.#versions.set(coll!, crypto.randomUUID());
      return true;
    });
  }

  /** Every collection that holds faces. */
  listCollections(): Promise<CollectionRef[]> {
    return attempt(() =>
      [...this.#collections].filter(([, coll]) => coll.size > 0).map(([key]) => {
        const [model, collection] = JSON.parse(key) as [string, string];
        return { model, collection };
      })
    );
  }

  /** Deletes the collection; returns the number of faces removed. */
  deleteCollection(ref: CollectionRef): Promise<number> {
    return attempt(() => {
      const coll = this.#collection(ref, false);
      let n = 0;
      for (const state of coll?.values() ?? []) n += state.faces.size;
      coll?.clear();
      if (coll) this.#versions.set(coll, crypto.randomUUID());
      return n;
    });
  }

  /** The collection's write token, or null when it was never written. */
  galleryVersion(ref: CollectionRef): Promise<string | null> {
    return attempt(() => {
      const coll = this.#collection(ref, false);
      return (coll && this.#versions.get(coll)) ?? null;
    });
  }

  /** Every face of the collection, packed by subject then face id. */
  gallery(ref: CollectionRef): Promise<Gallery> {
    return attempt(() => {
      const rows = [];
      const expiries = new Map<string, number>();
      for (const [subject, state] of this.#collection(ref, false) ?? []) {
        if (state.expires_at !== undefined) expiries.set(subject, expiryMs(state.expires_at));
        for (const f of state.faces.values()) {
          const createdAt = Date.parse(f.created_at);
          rows.push({ subject, faceId: f.id, embedding: f.embedding, createdAt });
        }
      }
      return packGallery(rows, expiries);
    });
  }

  /** Drops all data. */
  close(): Promise<void> {
    return attempt(() => {
      this.#collections.clear();
    });
  }
}
