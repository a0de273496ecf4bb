/**
 * {@linkcode FaceStore} on Deno KV (a local SQLite file, or Deno Deploy's KV). Needs the
 * `--unstable-kv` flag (or `"unstable": ["kv"]` in deno.json).
 *
 * Consistency: every face mutation also rewrites its subject's summary in the same
 * `kv.atomic()` operation, guarded by a versionstamp check on that summary, and is retried when
 * another writer got there first. So the summary's `face_count` always equals the number of face
 * keys, a subject exists exactly while it has faces, and a subject is never visible half-written.
 * Limits of Deno KV: values ≤ 64 KiB (a face holds ≤ 16 KiB of embedding and ≤ 8 KiB of metadata),
 * ≤ 1000 mutations and ≤ 100 checks per atomic operation. A subject holds at most
 * `MAX_FACES_PER_SUBJECT` (500) faces, so deleting one subject is always a single atomic
 * operation; `deleteCollection` deletes whole subjects in chunks of up to 100 subjects / 1000 keys,
 * so while it runs other readers may see some subjects gone and others still there, but never a
 * subject with only part of its faces.
 *
 * @module
 */

import { FaceError } from "../../errors.ts";
import type {
  CollectionRef,
  FaceRecord,
  FaceStore,
  Gallery,
  ListSubjectsOptions,
  NewFace,
  SubjectPage,
  SubjectRecord,
  SubjectSummary,
} from "./face_store.ts";
import { kvCollectionKeys, SCHEMA_VERSION, validateName } from "../keys.ts";
import { decodeEmbedding, encodeEmbedding } from "./embedding_codec.ts";
import {
  mapBatched,
  OPEN_BATCH,
  RecordSealer,
  type RecordSealerOptions,
  type StoreEncryption,
} from "../sealing/record_sealer.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import type { KeyMaintenance, RotationReport } from "../sealing/key_maintenance.ts";
import { commitKv, kvBackoff } from "../backends/commit_kv.ts";
import {
  checkExpiry,
  checkNewFace,
  chunksOfBatches,
  decodeCursor,
  encodeCursor,
  expiryMs,
  type GalleryBatch,
  galleryOfBatches,
  type GalleryRow,
  MAX_FACES_PER_SUBJECT,
  newFaceId,
  pageLimit,
  tooManyFaces,
  unavailable,
} from "../_store_common.ts";

/** Options for {@linkcode KvFaceStore}. */
export interface KvFaceStoreOptions {
  /** Key parts put before every key, e.g. a random test prefix. Default: `["facegate"]`. */
  prefix?: Deno.KvKeyPart[];
  /** Clock for `created_at` / `updated_at`. Default: `() => new Date()`. */
  now?: () => Date;
  /** Tries of a contended atomic write before `FaceError("conflict")`. Default: 100. */
  maxAttempts?: number;
  /** Whether `close()` closes the `Deno.Kv` handle. Default: false (true from `open`). */
  ownsKv?: boolean;
  /**
   * Envelope encryption of embeddings and metadata: the master keyring, or `"off"` (plain records,
   * tests only). Required.
   */
  encryption?: StoreEncryption;
  /** Faces per chunk of `galleryChunks()` (one `kv.list` each). Default: 2000. */
  galleryChunk?: number;
  /** Called for each refused record (see `RecordSealer`). Default: nothing (still counted). */
  onRefused?: RecordSealerOptions["onRefused"];
}

interface SubjectMeta {
  created_at: string;
  updated_at: string;
  face_count: number;
  /** When the subject expires (ISO 8601); absent when it does not. */
  expires_at?: string;
}

/** A face as stored: sealed (`k` set) or, with encryption off and before it existed, plain. */
interface StoredFace {
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

const LIST_BATCH = 500;
const MAX_CHECKS = 100;
const MAX_MUTATIONS = 1000;

/**
 * A {@linkcode FaceStore} on Deno KV. See the module doc for the consistency guarantees.
 *
 * @example
 * ```ts ignore
 * import { KvFaceStore } from "./kv_face_store.ts";
 * const store = await KvFaceStore.open("./facegate.kv");
 * await store.addFace({ model: "m@1", collection: "staff" }, "ann", {
 *   embedding: new Float32Array([1, 0]),
 *   quality: 0.9,
 * });
 * await store.close();
 * ```
 */
export class KvFaceStore implements FaceStore, KeyMaintenance {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];
  #now: () => Date;
  #maxAttempts: number;
  #ownsKv: boolean;
  #closed = false;
  #sealer: RecordSealer;
  #galleryChunk: number;
  #locks = new Map<string, Promise<unknown>>();

  /**
   * Wraps an open `Deno.Kv` handle.
   *
   * @param kv The handle; closed by `close()` only when `options.ownsKv` is true.
   * @param options See {@linkcode KvFaceStoreOptions}.
   */
  constructor(kv: Deno.Kv, options: KvFaceStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["facegate"];
    this.#now = options.now ?? (() => new Date());
    this.#maxAttempts = options.maxAttempts ?? 100;
    this.#ownsKv = options.ownsKv ?? false;
    this.#sealer = new RecordSealer(options.encryption, { onRefused: options.onRefused });
    this.#galleryChunk = options.galleryChunk ?? 2000;
  }

  /**
   * Opens Deno KV at `path` and returns a store that owns the handle.
   *
   * @param path SQLite file, `":memory:"`, or undefined for the default (Deploy's KV).
   * @returns The store; `close()` closes the handle.
   * @throws {FaceError} `store_unavailable` when the database cannot be opened or Deno KV is not
   *   enabled (`--unstable-kv`).
   */
  static async open(path: string | undefined, options: KvFaceStoreOptions): Promise<KvFaceStore> {
    if (typeof Deno.openKv !== "function") {
      throw new FaceError(
        "store_unavailable",
        'Cannot open the Deno KV database: Deno.openKv is missing (run with --unstable-kv or set "unstable": ["kv"] in deno.json)',
      );
    }
    try {
      return new KvFaceStore(await Deno.openKv(path), { ownsKv: true, ...options });
    } catch (cause) {
      throw unavailable("kv", "open the Deno KV database", cause);
    }
  }

  /**
   * Adds a face, creating the subject if needed; retried on contention.
   *
   * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject is
   *   full or the write stayed contended for `maxAttempts` tries; `store_unavailable` on KV errors.
   */
  async addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const subjectKey = keys.subject(subject);
    const checked = checkNewFace(face);
    const expiry = face.expiresAt === undefined ? undefined : checkExpiry(face.expiresAt);
    const id = face.id === undefined ? newFaceId() : validateName("face id", face.id);
    const faceKey = keys.face(subject, id);
    const sealer = this.#sealer;
    let sealed: Awaited<ReturnType<RecordSealer["sealFace"]>> | undefined;
    let sealedAt = "";
    return await this.#serialized(subjectKey, async () => {
      for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
        const now = this.#now().toISOString();
        const [meta, dek, prior] = await this.#call(
          "add a face",
          () =>
            this.#kv.getMany<[SubjectMeta, WrappedDataKey, StoredFace]>([
              subjectKey,
              keys.dataKey,
              faceKey,
            ]),
        );
        if (prior.value !== null) {
          // A retry of a write that already happened (`NewFace.id`): nothing is written.
          const record: FaceRecord = {
            id,
            subject,
            model: ref.model,
            embedding: checked.embedding,
            quality: prior.value.quality,
            created_at: prior.value.created_at,
            existing: true,
          };
          if (checked.metadataJson !== undefined) {
            record.metadata = JSON.parse(checked.metadataJson);
          }
          return record;
        }
        const count = meta.value?.face_count ?? 0;
        if (count >= MAX_FACES_PER_SUBJECT) throw tooManyFaces(subject);
        // The data key is checked too: a concurrent deleteCollection may have removed it.
        const op = this.#kv.atomic().check(meta, dek);
        const created = checked.createdAt ?? now;
        const stored: StoredFace = { quality: checked.quality, created_at: created };
        if (!sealer.sealedOnly) {
          stored.embedding = encodeEmbedding(checked.embedding);
          if (checked.metadataJson !== undefined) stored.metadata = checked.metadataJson;
        } else {
          const wrapped = dek.value ?? await sealer.newDataKey(ref);
          if (dek.value === null) op.set(keys.dataKey, wrapped);
          if (sealed?.k !== wrapped.id || sealedAt !== created) {
            sealedAt = created;
            const dataKey = await this.#call("add a face", () => sealer.dataKey(ref, wrapped));
            const { embedding, metadataJson } = checked;
            sealed = await sealer.sealFace(
              dataKey,
              ref,
              subject,
              id,
              embedding,
              metadataJson,
              Date.parse(created),
            );
          }
          Object.assign(stored, { sealed: sealed.embedding, k: sealed.k, a: sealed.aad });
          if (sealed.metadata !== undefined) stored.metadata = sealed.metadata;
        }
        const next: SubjectMeta = {
          created_at: meta.value?.created_at ?? now,
          updated_at: now,
          face_count: count + 1,
        };
        const expires = expiry === undefined ? meta.value?.expires_at : expiry;
        if (expires) next.expires_at = expires;
        const res = await this.#call(
          "add a face",
          () =>
            commit(
              op.check(prior).set(subjectKey, next).set(faceKey, stored)
                .set(keys.version, crypto.randomUUID()),
            ),
        );
        if (res) {
          const record: FaceRecord = {
            id,
            subject,
            model: ref.model,
            embedding: checked.embedding,
            quality: checked.quality,
            created_at: created,
          };
          if (checked.metadataJson !== undefined) {
            record.metadata = JSON.parse(checked.metadataJson);
          }
          return record;
        }
        await backoff(attempt);
      }
      throw contended("add a face", subject);
    });
  }

  /** The subject with its faces (by face id), or null. */
  async getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const subjectKey = keys.subject(subject);
    const facesPrefix = keys.subjectFaces(subject);
    return await this.#call("read a subject", async () => {
      // Read summary, faces, summary again: equal versionstamps mean one consistent snapshot.
      for (let attempt = 0;; attempt++) {
        const [before, dek] = await this.#kv.getMany<[SubjectMeta, WrappedDataKey]>([
          subjectKey,
          keys.dataKey,
        ]);
        if (before.value === null) return null;
        const faces: FaceRecord[] = [];
        for await (
          const e of this.#kv.list<StoredFace>({ prefix: facesPrefix }, { batchSize: LIST_BATCH })
        ) {
          const faceId = e.key[e.key.length - 1] as string;
          const record = await this.#toRecord(ref, dek.value, subject, faceId, e.value);
          if (record !== null) faces.push(record);
        }
        const after = await this.#kv.get<SubjectMeta>(subjectKey);
        if (after.versionstamp === before.versionstamp || attempt >= 10) {
          if (after.value === null) return null;
          return { subject, ...after.value, face_count: faces.length, faces };
        }
      }
    });
  }

  /** Subjects ordered by name, `limit` per page. */
  async listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const limit = pageLimit(options);
    const after = decodeCursor(options?.cursor);
    const selector: Deno.KvListSelector = after === undefined
      ? { prefix: keys.subjects }
      : { prefix: keys.subjects, start: [...keys.subjects, after + "\0"] };
    const subjects: SubjectSummary[] = await this.#call("list subjects", async () => {
      const out: SubjectSummary[] = [];
      for await (const e of this.#kv.list<SubjectMeta>(selector, { limit: limit + 1 })) {
        out.push({ subject: e.key[e.key.length - 1] as string, ...e.value });
      }
      return out;
    });
    const more = subjects.length > limit;
    if (more) subjects.pop();
    return {
      subjects,
      next_cursor: more ? encodeCursor(subjects[subjects.length - 1].subject) : null,
    };
  }

  /** Deletes a subject and its faces in one atomic operation; false when it did not exist. */
  async deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const subjectKey = keys.subject(subject);
    const facesPrefix = keys.subjectFaces(subject);
    return await this.#serialized(subjectKey, async () => {
      for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
        const ok = await this.#call("delete a subject", async () => {
          const meta = await this.#kv.get<SubjectMeta>(subjectKey);
          if (meta.value === null) return null;
          const op = this.#kv.atomic().check(meta).delete(subjectKey)
            .set(keys.version, crypto.randomUUID());
          for await (const e of this.#kv.list({ prefix: facesPrefix }, { batchSize: LIST_BATCH })) {
            op.delete(e.key);
          }
          return (await commitKv(op));
        });
        if (ok === null) return false;
        if (ok) return true;
        await kvBackoff(attempt);
      }
      throw contended("delete a subject", subject);
    });
  }

  /** Deletes one face, and the subject with its last face; false when it did not exist. */
  async deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const subjectKey = keys.subject(subject);
    const faceKey = keys.face(subject, faceId);
    return await this.#serialized(subjectKey, async () => {
      for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
        const ok = await this.#call("delete a face", async () => {
          const [meta, face] = await this.#kv.getMany<[SubjectMeta, StoredFace]>([
            subjectKey,
            faceKey,
          ]);
          if (meta.value === null || face.value === null) return null;
          const op = this.#kv.atomic().check(meta, face).delete(faceKey)
            .set(keys.version, crypto.randomUUID());
          if (meta.value.face_count <= 1) op.delete(subjectKey);
          else {
            op.set(subjectKey, {
              ...meta.value,
              face_count: meta.value.face_count - 1,
              updated_at: this.#now().toISOString(),
            });
          }
          return (await commitKv(op));
        });
        if (ok === null) return false;
        if (ok) return true;
        await kvBackoff(attempt);
      }
      throw contended("delete a face", subject);
    });
  }

  /** Sets or clears a subject's expiry (one atomic write); false when the subject does not exist. */
  async setSubjectExpiry(
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const subjectKey = keys.subject(subject);
    const expiry = checkExpiry(expiresAt);
    return await this.#serialized(subjectKey, async () => {
      for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
        const ok = await this.#call("set a subject's expiry", async () => {
          const meta = await this.#kv.get<SubjectMeta>(subjectKey);
          if (meta.value === null) return null;
          const { expires_at: _, ...rest } = meta.value;
          const next: SubjectMeta = { ...rest, updated_at: this.#now().toISOString() };
          if (expiry !== null) next.expires_at = expiry;
          return await commitKv(
            this.#kv.atomic().check(meta).set(subjectKey, next)
              .set(keys.version, crypto.randomUUID()),
          );
        });
        if (ok === null) return false;
        if (ok) return true;
        await kvBackoff(attempt);
      }
      throw contended("set a subject's expiry", subject);
    });
  }

  /**
   * Every collection with a subject under this store's prefix, of every model (two one-key
   * `kv.list` calls per collection: the scan skips over each collection's keys).
   */
  async listCollections(): Promise<CollectionRef[]> {
    const base = [...this.#prefix, SCHEMA_VERSION];
    const n = base.length;
    const out: CollectionRef[] = [];
    await this.#call("list collections", async () => {
      let selector: Deno.KvListSelector = { prefix: base };
      while (true) {
        let next: Deno.KvKey | null = null;
        for await (const e of this.#kv.list(selector, { limit: 1 })) {
          const [model, collection] = e.key.slice(n, n + 2);
          if (typeof model !== "string" || typeof collection !== "string") break;
          next = [...base, model, collection + "\0"];
          // Only collections with a subject (idempotency records and audit trails live beside).
          const subjects = { prefix: [...base, model, collection, "s"] };
          for await (const _ of this.#kv.list(subjects, { limit: 1 })) {
            out.push({ model, collection });
          }
        }
        if (next === null) return;
        selector = { prefix: base, start: next };
      }
    });
    return out;
  }

  /**
   * Deletes every subject of the collection, whole subjects per atomic operation (see module doc).
   *
   * @returns The number of faces removed.
   */
  async deleteCollection(ref: CollectionRef): Promise<number> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    let removed = 0;
    let conflicts = 0;
    while (true) {
      const batch = await this.#call("delete a collection", async () => {
        const op = this.#kv.atomic();
        let checks = 0;
        let mutations = 1; // the version token
        let faces = 0;
        const iter = this.#kv.list<SubjectMeta>({ prefix: keys.subjects }, { limit: MAX_CHECKS });
        for await (const meta of iter) {
          const cost = 1 + meta.value.face_count;
          if (checks === MAX_CHECKS || (checks > 0 && mutations + cost > MAX_MUTATIONS)) break;
          const subject = meta.key[meta.key.length - 1] as string;
          op.check(meta).delete(meta.key);
          for await (const e of this.#kv.list({ prefix: keys.subjectFaces(subject) })) {
            op.delete(e.key);
            faces++;
          }
          checks++;
          mutations += cost;
        }
        if (checks === 0) return null;
        op.set(keys.version, crypto.randomUUID());
        return (await commitKv(op)) ? faces : -1;
      });
      if (batch === null) {
        if (await this.#dropDataKey(keys)) return removed;
        if (++conflicts >= this.#maxAttempts) {
          throw contended("delete a collection", ref.collection);
        }
        continue;
      }
      if (batch >= 0) {
        removed += batch;
        continue;
      }
      if (++conflicts >= this.#maxAttempts) throw contended("delete a collection", ref.collection);
      await kvBackoff(conflicts);
    }
  }

  /** The collection's write token (one read), or null when it was never written. */
  async galleryVersion(ref: CollectionRef): Promise<string | null> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const entry = await this.#call(
      "read the gallery version",
      () => this.#kv.get<string>(keys.version),
    );
    return entry.value;
  }

  /**
   * Every face of the collection, packed with creation times and subject expiries, read in batched
   * `kv.list` calls of 500 faces (and 500 subject summaries).
   */
  gallery(ref: CollectionRef): Promise<Gallery> {
    return galleryOfBatches(this.#galleryBatches(ref));
  }

  /**
   * The gallery in chunks of up to `galleryChunk` faces (see `FaceStore.galleryChunks`): identify indexes
   * each as it arrives, so the whole float32 gallery never exists.
   */
  galleryChunks(ref: CollectionRef): AsyncIterable<Gallery> {
    return chunksOfBatches(this.#galleryBatches(ref));
  }

  /**
   * The subjects' expiries first, then the faces `galleryChunk` at a time (one `kv.list` each,
   * resumed from its cursor), each chunk opened as it arrives.
   */
  async *#galleryBatches(
    ref: CollectionRef,
  ): AsyncIterable<GalleryBatch> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const n = keys.faces.length;
    const expiries = new Map<string, number>();
    const dek = await this.#call("read the gallery", async () => {
      for await (
        const e of this.#kv.list<SubjectMeta>({ prefix: keys.subjects }, { batchSize: LIST_BATCH })
      ) {
        if (e.value.expires_at) {
          expiries.set(e.key[e.key.length - 1] as string, expiryMs(e.value.expires_at));
        }
      }
      return (await this.#kv.get<WrappedDataKey>(keys.dataKey)).value;
    });
    const chunk = this.#galleryChunk;
    let cursor: string | undefined;
    do {
      const { entries, next } = await this.#call("read the gallery", async () => {
        const list = this.#kv.list<StoredFace>({ prefix: keys.faces }, {
          batchSize: LIST_BATCH,
          limit: chunk,
          cursor,
        });
        const entries: Deno.KvEntry<StoredFace>[] = [];
        for await (const e of list) entries.push(e);
        return { entries, next: entries.length === chunk ? list.cursor : undefined };
      });
      const opened = await mapBatched(entries, OPEN_BATCH, async (e) => {
        const subject = e.key[n] as string, faceId = e.key[n + 1] as string;
        const embedding = await this.#embedding(ref, dek, subject, faceId, e.value);
        if (embedding === null) return null;
        const row: GalleryRow = {
          subject,
          faceId,
          embedding,
          createdAt: Date.parse(e.value.created_at),
        };
        return row;
      });
      const rows = opened.filter((r): r is GalleryRow => r !== null);
      yield { rows, expiries };
      cursor = next;
    } while (cursor);
  }

  /** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
  async rotateMasterKey(): Promise<RotationReport> {
    const cipher = this.#sealer.require("rotate the master key");
    const prefix = [...this.#prefix, "dek", SCHEMA_VERSION];
    const report = { collections: 0, rewrapped: 0, master_key_id: cipher.keyring.newest.id };
    const keys: Deno.KvKey[] = [];
    await this.#call("rotate the master key", async () => {
      for await (const e of this.#kv.list({ prefix })) keys.push(e.key);
    });
    for (const key of keys) {
      const [model, collection] = key.slice(prefix.length) as string[];
      const scope = this.#sealer.scope({ model, collection });
      for (let attempt = 0;; attempt++) {
        const entry = await this.#call(
          "rotate the master key",
          () => this.#kv.get<WrappedDataKey>(key),
        );
        if (entry.value === null) break;
        if (attempt === 0) report.collections++;
        const next = await cipher.rewrap(scope, entry.value);
        if (next === null) break;
        const ok = await this.#call(
          "rotate the master key",
          () => commit(this.#kv.atomic().check(entry).set(key, next)),
        );
        if (ok) {
          report.rewrapped++;
          break;
        }
        if (attempt >= this.#maxAttempts) throw contended("rotate the master key", collection);
        await backoff(attempt);
      }
    }
    return report;
  }

  /** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
  async countPlainRecords(): Promise<number> {
    return (await this.#plainKeys("count plain records")).length;
  }

  /** Keys of every plain face record under this store's prefix (one scan of the faces). */
  async #plainKeys(action: string): Promise<Deno.KvKey[]> {
    const base = [...this.#prefix, SCHEMA_VERSION];
    const n = base.length;
    const plain: Deno.KvKey[] = [];
    await this.#call(action, async () => {
      for await (
        const e of this.#kv.list<StoredFace>({ prefix: base }, { batchSize: LIST_BATCH })
      ) {
        // Faces are [...base, model, collection, "f", subject, faceId].
        if (e.key.length === n + 5 && e.key[n + 2] === "f" && e.value?.k === undefined) {
          plain.push(e.key);
        }
      }
    });
    return plain;
  }

  /** Seals every plain face record in place (see `KeyMaintenance`). */
  async sealPlainRecords(): Promise<number> {
    this.#sealer.require("seal plain records");
    const n = this.#prefix.length + 1;
    const plain = await this.#plainKeys("seal plain records");
    let sealedCount = 0;
    for (const key of plain) {
      const [model, collection, , subject, faceId] = key.slice(n) as string[];
      if (await this.#sealOne({ model, collection }, subject, faceId)) sealedCount++;
    }
    return sealedCount;
  }

  /** Re-seals every v1-AAD embedding with the v2 AAD (see `KeyMaintenance`). */
  async resealLegacyRecords(): Promise<number> {
    this.#sealer.require("re-seal records");
    const base = [...this.#prefix, SCHEMA_VERSION];
    const n = base.length;
    const legacy: Deno.KvKey[] = [];
    await this.#call("re-seal records", async () => {
      for await (
        const e of this.#kv.list<StoredFace>({ prefix: base }, { batchSize: LIST_BATCH })
      ) {
        if (
          e.key.length === n + 5 && e.key[n + 2] === "f" && e.value?.k !== undefined &&
          e.value.a !== 2
        ) legacy.push(e.key);
      }
    });
    let count = 0;
    for (const key of legacy) {
      const [model, collection, , subject, faceId] = key.slice(n) as string[];
      if (await this.#resealOne({ model, collection }, subject, faceId)) count++;
    }
    return count;
  }

  /** Re-seals one v1 face under the v2 AAD; false when it is gone, v2, or does not open. */
  async #resealOne(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const sealer = this.#sealer;
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const [face, dek] = await this.#call(
        "re-seal records",
        () =>
          this.#kv.getMany<[StoredFace, WrappedDataKey]>([
            keys.face(subject, faceId),
            keys.dataKey,
          ]),
      );
      const f = face.value;
      if (f === null || f.k === undefined || f.a === 2 || dek.value === null) return false;
      const embedding = await sealer.openEmbedding(
        ref,
        dek.value,
        subject,
        faceId,
        f.k,
        f.sealed!,
        null,
      );
      if (embedding === null) return false;
      const createdMs = Date.parse(f.created_at);
      if (!Number.isFinite(createdMs)) return false;
      const dataKey = await sealer.dataKey(ref, dek.value);
      const sealed = await sealer.sealFace(
        dataKey,
        ref,
        subject,
        faceId,
        embedding,
        undefined,
        createdMs,
      );
      const next: StoredFace = { ...f, sealed: sealed.embedding, a: sealed.aad };
      const ok = await this.#call(
        "re-seal records",
        () => commit(this.#kv.atomic().check(face, dek).set(keys.face(subject, faceId), next)),
      );
      if (ok) return true;
      await backoff(attempt);
    }
    throw contended("re-seal records", subject);
  }

  /** Seals one plain face; false when it is gone or already sealed. */
  async #sealOne(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    const keys = kvCollectionKeys(ref, this.#prefix);
    const sealer = this.#sealer;
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const [face, dek] = await this.#call(
        "seal plain records",
        () =>
          this.#kv.getMany<[StoredFace, WrappedDataKey]>([
            keys.face(subject, faceId),
            keys.dataKey,
          ]),
      );
      if (face.value === null || face.value.k !== undefined) return false;
      const op = this.#kv.atomic().check(face, dek);
      const wrapped = dek.value ?? await sealer.newDataKey(ref);
      if (dek.value === null) op.set(keys.dataKey, wrapped);
      const f = face.value;
      const sealed = await sealer.sealFace(
        await sealer.dataKey(ref, wrapped),
        ref,
        subject,
        faceId,
        decodeEmbedding(f.embedding!),
        f.metadata as string | undefined,
        Date.parse(f.created_at),
      );
      const next: StoredFace = {
        sealed: sealed.embedding,
        k: sealed.k,
        a: sealed.aad,
        quality: f.quality,
        created_at: f.created_at,
      };
      if (sealed.metadata !== undefined) next.metadata = sealed.metadata;
      if (
        await this.#call(
          "seal plain records",
          () => commit(op.set(keys.face(subject, faceId), next)),
        )
      ) {
        return true;
      }
      await backoff(attempt);
    }
    throw contended("seal plain records", subject);
  }

  /** Closes the KV handle when the store owns it; idempotent. */
  close(): Promise<void> {
    if (this.#ownsKv && !this.#closed) this.#kv.close();
    this.#closed = true;
    return Promise.resolve();
  }

  /**
   * Deletes the collection's data key once it holds no subject (crypto-shredding whatever copy of
   * its records may survive in backups). False when a concurrent write got in: the caller retries.
   */
  async #dropDataKey(keys: ReturnType<typeof kvCollectionKeys>): Promise<boolean> {
    return await this.#call("delete a collection", async () => {
      const [version, dek] = await this.#kv.getMany([keys.version, keys.dataKey]);
      if (dek.value === null) return true;
      for await (const _ of this.#kv.list({ prefix: keys.subjects }, { limit: 1 })) return false;
      return await commit(
        this.#kv.atomic().check(version).delete(keys.dataKey).set(
          keys.version,
          crypto.randomUUID(),
        ),
      );
    });
  }

  /**
   * A stored face's embedding, opened; null when the record is refused: plain while encryption
   * is on, or not a valid sealed envelope for exactly this place (see `RecordSealer`).
   */
  async #embedding(
    ref: CollectionRef,
    dek: WrappedDataKey | null,
    subject: string,
    faceId: string,
    f: StoredFace,
  ): Promise<Float32Array | null> {
    if (f.k === undefined) {
      if (this.#sealer.sealedOnly) return this.#sealer.refuse(ref, subject, faceId, "plain");
      return decodeEmbedding(f.embedding!);
    }
    if (!(f.sealed instanceof Uint8Array)) {
      return this.#sealer.refuse(ref, subject, faceId, "altered");
    }
    const createdMs = f.a === 2 ? Date.parse(f.created_at) : null;
    if (createdMs !== null && !Number.isFinite(createdMs)) {
      return this.#sealer.refuse(ref, subject, faceId, "altered");
    }
    return await this.#sealer.openEmbedding(ref, dek, subject, faceId, f.k, f.sealed, createdMs);
  }

  /** A stored face as a record; null when refused (see {@linkcode KvFaceStore.#embedding}). */
  async #toRecord(
    ref: CollectionRef,
    dek: WrappedDataKey | null,
    subject: string,
    id: string,
    f: StoredFace,
  ): Promise<FaceRecord | null> {
    const embedding = await this.#embedding(ref, dek, subject, id, f);
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
        : await this.#sealer.openMetadata(ref, dek, subject, id, f.k, f.metadata as Uint8Array);
      if (json === null) return null;
      record.metadata = JSON.parse(json);
    }
    return record;
  }

  /** Records refused by sealed-only reads since the store was opened. */
  get refusedRecords(): number {
    return this.#sealer.refused;
  }

  /** Runs a KV call, mapping failures (but not FaceErrors) to `store_unavailable`. */
  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable("kv", action, err);
    }
  }

  /** Serialises writes to one subject inside this isolate, so local writers do not contend. */
  async #serialized<T>(key: Deno.KvKey, fn: () => Promise<T>): Promise<T> {
    const id = JSON.stringify(key);
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.#locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }
}

/** Commits `op` through {@linkcode commitKv} (lock contention retried); false when a check failed. */
function commit(op: Deno.AtomicOperation): Promise<boolean> {
  return commitKv(op);
}

function backoff(attempt: number): Promise<void> {
  return kvBackoff(attempt);
}

function contended(action: string, name: string): FaceError {
  return new FaceError("conflict", `Cannot ${action} "${name}": too many concurrent writes`);
}
