/**
 * {@linkcode FaceStore} on Upstash Redis over its REST API (`@upstash/redis`), or on any server
 * that speaks that protocol (see `tools/upstash_bridge.ts`).
 *
 * Layout (see `keys.ts`): per collection a sorted set of subject names, per subject a summary hash
 * and a hash of face records, and one gallery hash face id -> packed `subjectLen|subject|float32`
 * record (base64). Every write is one Lua script (EVALSHA, falling back to EVAL), so it is atomic:
 * a face, its subject's count and its gallery row appear and disappear together. Enrolment is
 * idempotent by face id, so the client's bounded retries never enroll a face twice.
 *
 * Round trips: `gallery()` reads a collection of up to `galleryBatch` faces (default 2000, about
 * 5.6 MB of response for 512-d embeddings) with one script call; bigger collections are read in
 * HSCAN chunks of about `galleryBatch` faces, one round trip each, and are then not a snapshot
 * under concurrent writes. `getSubject()` and `listSubjects()` are one round trip each.
 * `deleteCollection()` deletes whole subjects, 100 per script call.
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
import {
  RecordSealer,
  type RecordSealerOptions,
  type StoreEncryption,
} from "../sealing/record_sealer.ts";
import type { KeyMaintenance, RotationReport } from "../sealing/key_maintenance.ts";
import { upstashClient, type UpstashClientOptions } from "../backends/upstash_redis.ts";
import { chunksOfBatches, galleryOfBatches } from "../_store_common.ts";
import * as writes from "./upstash_face_writes.ts";
import * as deletes from "./upstash_face_deletes.ts";
import * as reads from "./upstash_face_reads.ts";
import * as maintenance from "./upstash_face_maintenance.ts";
import { UpstashFaces } from "./_upstash_faces.ts";

/** Options for {@linkcode UpstashFaceStore}. */
export interface UpstashFaceStoreOptions extends UpstashClientOptions {
  /** String put before every key (tests use a random one). Default: `"facegate:"`. */
  prefix?: string;
  /** Clock for `created_at` / `updated_at`. Default: `() => new Date()`. */
  now?: () => Date;
  /** Faces read per gallery round trip. Default: 2000. */
  galleryBatch?: number;
  /**
   * Envelope encryption of embeddings and metadata: the master keyring, or `"off"` (plain records,
   * tests only). Required.
   */
  encryption?: StoreEncryption;
  /** Called for each refused record (see `RecordSealer`). Default: nothing (still counted). */
  onRefused?: RecordSealerOptions["onRefused"];
}

/**
 * A {@linkcode FaceStore} on Upstash Redis. See the module doc for layout and round trips.
 *
 * @example
 * ```ts ignore
 * import { UpstashFaceStore } from "./upstash_face_store.ts";
 * const store = new UpstashFaceStore({ url: "https://...", token: "..." });
 * const g = await store.gallery({ model: "m@1", collection: "staff" });
 * ```
 */
export class UpstashFaceStore implements FaceStore, KeyMaintenance {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #ctx: UpstashFaces;

  /**
   * Creates the client; no request is made until the first call.
   *
   * @throws {RangeError} When `prefix` contains `{`, `}` or whitespace.
   */
  constructor(options: UpstashFaceStoreOptions) {
    const prefix = options.prefix ?? "facegate:";
    if (/[{}\s]/.test(prefix)) {
      throw new RangeError("UpstashFaceStore prefix must not contain braces or whitespace");
    }
    this.#ctx = {
      redis: upstashClient(options),
      prefix,
      now: options.now ?? (() => new Date()),
      galleryBatch: options.galleryBatch ?? 2000,
      sealer: new RecordSealer(options.encryption, { onRefused: options.onRefused }),
      dataKeys: new Map(),
      scripts: new Map(),
    };
  }

  /**
   * Adds a face, creating the subject if needed, in one atomic script.
   *
   * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject
   *   already has `MAX_FACES_PER_SUBJECT` faces; `store_unavailable` when Redis fails.
   */
  addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    return writes.addFace(this.#ctx, ref, subject, face);
  }

  /** The subject with its faces (by face id), or null; one round trip. */
  getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    return reads.getSubject(this.#ctx, ref, subject);
  }

  /** Subjects ordered by name, `limit` per page; one round trip. */
  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    return reads.listSubjects(this.#ctx, ref, options);
  }

  /** Deletes a subject and its faces atomically; false when it did not exist. */
  deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    return deletes.deleteSubject(this.#ctx, ref, subject);
  }

  /** Deletes one face, and the subject with its last face, atomically; false when absent. */
  deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    return deletes.deleteFace(this.#ctx, ref, subject, faceId);
  }

  /** Sets or clears a subject's expiry in one script; false when the subject does not exist. */
  setSubjectExpiry(
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean> {
    return writes.setSubjectExpiry(this.#ctx, ref, subject, expiresAt);
  }

  /** Every collection with subjects under this store's prefix, of every model (SCAN). */
  listCollections(): Promise<CollectionRef[]> {
    return reads.listCollections(this.#ctx);
  }

  /**
   * Deletes the collection, 100 whole subjects per atomic script call.
   *
   * @returns The number of faces removed.
   */
  deleteCollection(ref: CollectionRef): Promise<number> {
    return deletes.deleteCollection(this.#ctx, ref);
  }

  /** The collection's write token (one GET), or null when it was never written. */
  galleryVersion(ref: CollectionRef): Promise<string | null> {
    return reads.galleryVersion(this.#ctx, ref);
  }

  /**
   * Every face of the collection, packed with creation times and subject expiries; one round trip
   * up to `galleryBatch` faces. Rows written before retention existed carry no creation time: it
   * is read from their faces' records, in one more round trip.
   */
  gallery(ref: CollectionRef): Promise<Gallery> {
    return galleryOfBatches(reads.galleryBatches(this.#ctx, ref));
  }

  /**
   * The gallery in chunks of up to `galleryBatch` faces, one round trip each (see
   * `FaceStore.galleryChunks`): identify indexes each as it arrives.
   */
  galleryChunks(ref: CollectionRef): AsyncIterable<Gallery> {
    return chunksOfBatches(reads.galleryBatches(this.#ctx, ref));
  }

  /** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
  rotateMasterKey(): Promise<RotationReport> {
    return maintenance.rotateMasterKey(this.#ctx);
  }

  /** Seals every plain face record in place (see `KeyMaintenance`). */
  sealPlainRecords(): Promise<number> {
    return maintenance.sealPlainRecords(this.#ctx);
  }

  /** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
  countPlainRecords(): Promise<number> {
    return maintenance.countPlainRecords(this.#ctx);
  }

  /** Re-seals every v1-AAD gallery row with the v2 AAD (see `KeyMaintenance`). */
  resealLegacyRecords(): Promise<number> {
    return maintenance.resealLegacyRecords(this.#ctx);
  }

  /**
   * Deletes every key under this store's prefix (SCAN + DEL). For tests and tooling only.
   *
   * @returns The number of keys deleted.
   * @throws {FaceError} `store_unavailable` when Redis fails.
   */
  purge(): Promise<number> {
    return deletes.purge(this.#ctx);
  }

  /** Nothing to release: the REST client holds no connections of its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Records refused by sealed-only reads since the store was created. */
  get refusedRecords(): number {
    return this.#ctx.sealer.refused;
  }
}
