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

import type { Redis } from "@upstash/redis";
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
import { redisCollectionKeys, SCHEMA_VERSION, validateName } from "../keys.ts";
import {
  galleryRecordCreatedAt,
  packGalleryRecord,
  packSealedGalleryRecord,
  stampGalleryRecord,
  unpackGalleryRecord,
  unpackSealedGalleryRecord,
} from "./embedding_codec.ts";
import {
  mapBatched,
  OPEN_BATCH,
  RecordSealer,
  type RecordSealerOptions,
  type StoreEncryption,
} from "../sealing/record_sealer.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import type { KeyMaintenance, RotationReport } from "../sealing/key_maintenance.ts";
import { upstashClient, type UpstashClientOptions } from "../backends/upstash_redis.ts";
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

const ADD = `
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return 'exists' end
if ARGV[8] ~= '' and string.sub(redis.call('GET', KEYS[6]) or '', 1, 17) ~= ARGV[8] .. '.' then
  return 'rekey'
end
local n = tonumber(redis.call('HGET', KEYS[2], 'face_count') or '0')
if n >= tonumber(ARGV[6]) then return 'full' end
if n == 0 then
  redis.call('HSET', KEYS[2], 'created_at', ARGV[5])
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
end
redis.call('HSET', KEYS[2], 'updated_at', ARGV[5], 'face_count', n + 1)
if ARGV[9] == '-' then
  redis.call('HDEL', KEYS[2], 'expires_at')
  redis.call('HDEL', KEYS[7], ARGV[1])
elseif ARGV[9] ~= '' then
  redis.call('HSET', KEYS[2], 'expires_at', ARGV[9])
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[9])
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
redis.call('SET', KEYS[5], ARGV[7])
return 'ok'`;

const DELETE_FACE = `
if redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then return 0 end
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('SET', KEYS[5], ARGV[4])
local n = redis.call('HINCRBY', KEYS[2], 'face_count', -1)
if n <= 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
else
  redis.call('HSET', KEYS[2], 'updated_at', ARGV[3])
end
return 1`;

const DROP_SUBJECT = `
local function drop(gallery, meta, faces)
  local ids = redis.call('HKEYS', faces)
  for i = 1, #ids, 500 do
    redis.call('HDEL', gallery, unpack(ids, i, math.min(i + 499, #ids)))
  end
  redis.call('DEL', meta, faces)
  return #ids
end`;

const DELETE_SUBJECT = `${DROP_SUBJECT}
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
redis.call('SET', KEYS[5], ARGV[2])
local n = drop(KEYS[4], KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
return n`;

const DELETE_SUBJECTS = `${DROP_SUBJECT}
local names = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #names > 0 then redis.call('SET', KEYS[3], ARGV[3]) else redis.call('DEL', KEYS[4], KEYS[5]) end
local removed = 0
for _, s in ipairs(names) do
  removed = removed + drop(KEYS[2], ARGV[1] .. 'subject:' .. s, ARGV[1] .. 'faces:' .. s)
  redis.call('ZREM', KEYS[1], s)
  redis.call('HDEL', KEYS[5], s)
end
return {removed, #names}`;

const GET_SUBJECT = `
local meta = redis.call('HMGET', KEYS[2], 'created_at', 'updated_at', 'face_count', 'expires_at')
if not meta[1] then return nil end
local faces = redis.call('HGETALL', KEYS[3])
local packed = {}
for i = 1, #faces, 2 do packed[#packed + 1] = redis.call('HGET', KEYS[4], faces[i]) or '' end
return {meta, faces, packed, redis.call('GET', KEYS[5]) or ''}`;

const LIST_SUBJECTS = `
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, s in ipairs(names) do
  local m = redis.call('HMGET', ARGV[3] .. 'subject:' .. s, 'created_at', 'updated_at', 'face_count',
    'expires_at')
  out[#out + 1] = {s, m[1], m[2], m[3], m[4] or ''}
end
return out`;

const GALLERY = `
local dek = redis.call('GET', KEYS[2]) or ''
local expiries = {}
if ARGV[2] == '0' and KEYS[3] then expiries = redis.call('HGETALL', KEYS[3]) end
if ARGV[2] == '0' and redis.call('HLEN', KEYS[1]) <= tonumber(ARGV[1]) then
  return {'0', redis.call('HGETALL', KEYS[1]), dek, expiries}
end
local page = redis.call('HSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[1])
return {page[1], page[2], dek, expiries}`;

const SET_EXPIRY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], 'expires_at')
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'expires_at', ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[3])
redis.call('SET', KEYS[3], ARGV[4])
return 1`;

const FACE_TIMES = `
local out = {}
for i = 1, #KEYS do out[i] = redis.call('HGET', KEYS[i], ARGV[i]) or '' end
return out`;

const CREATE_DATA_KEY = `
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])`;

const SWAP_DATA_KEY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

const SEAL_FACE = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[4] then return 0 end
if string.sub(redis.call('GET', KEYS[3]) or '', 1, 17) ~= ARGV[6] .. '.' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
return 1`;

const SWAP_ROW = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`;

const SCRIPTS = {
  SWAP_ROW,
  SWAP_DATA_KEY,
  SEAL_FACE,
  ADD,
  DELETE_FACE,
  DELETE_SUBJECT,
  DELETE_SUBJECTS,
  GET_SUBJECT,
  LIST_SUBJECTS,
  GALLERY,
  CREATE_DATA_KEY,
  SET_EXPIRY,
  FACE_TIMES,
};
type ScriptName = keyof typeof SCRIPTS;

/** A face's JSON in the faces hash; with `k`, `m` is the base64 of the sealed metadata. */
interface FaceJson {
  q: number;
  c: string;
  k?: string;
  m?: string;
}

/** Parses a stored data key `id.kid.wrapped`; null for none. */
function parseDataKey(value: string | null | undefined): WrappedDataKey | null {
  if (!value) return null;
  const [id, kid, wrapped] = value.split(".");
  return { id, kid, wrapped };
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
  #redis: Redis;
  #prefix: string;
  #now: () => Date;
  #galleryBatch: number;
  #sealer: RecordSealer;
  #dataKeys = new Map<string, WrappedDataKey>();
  #scripts = new Map<ScriptName, ReturnType<Redis["createScript"]>>();

  /**
   * Creates the client; no request is made until the first call.
   *
   * @throws {RangeError} When `prefix` contains `{`, `}` or whitespace.
   */
  constructor(options: UpstashFaceStoreOptions) {
    this.#prefix = options.prefix ?? "facegate:";
    if (/[{}\s]/.test(this.#prefix)) {
      throw new RangeError("UpstashFaceStore prefix must not contain braces or whitespace");
    }
    this.#now = options.now ?? (() => new Date());
    this.#galleryBatch = options.galleryBatch ?? 2000;
    this.#sealer = new RecordSealer(options.encryption, { onRefused: options.onRefused });
    this.#redis = upstashClient(options);
  }

  /**
   * Adds a face, creating the subject if needed, in one atomic script.
   *
   * @throws {FaceError} `invalid_request` for bad names or metadata; `conflict` when the subject
   *   already has `MAX_FACES_PER_SUBJECT` faces; `store_unavailable` when Redis fails.
   */
  async addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const checked = checkNewFace(face);
    const expiry = face.expiresAt === undefined ? "" : checkExpiry(face.expiresAt) ?? "-";
    const id = face.id === undefined ? newFaceId() : validateName("face id", face.id);
    const nowDate = this.#now();
    const now = nowDate.toISOString();
    const created = checked.createdAt ?? now;
    const createdMs = Date.parse(created);
    let status: unknown = "rekey";
    // 'rekey': the collection's data key changed (deleted or created elsewhere) since it was read.
    for (let attempt = 0; status === "rekey" && attempt < 5; attempt++) {
      const json: FaceJson = { q: checked.quality, c: created };
      let packed: string;
      let keyId = "";
      const sealer = this.#sealer;
      if (!sealer.sealedOnly) {
        if (checked.metadataJson !== undefined) json.m = checked.metadataJson;
        packed = packGalleryRecord(subject, checked.embedding);
      } else {
        const wrapped = await this.#dataKey(ref, keys.dataKey, attempt > 0);
        const dataKey = await sealer.dataKey(ref, wrapped);
        const { embedding, metadataJson } = checked;
        const sealed = await sealer.sealFace(
          dataKey,
          ref,
          subject,
          id,
          embedding,
          metadataJson,
          createdMs,
        );
        keyId = json.k = sealed.k;
        if (sealed.metadata !== undefined) json.m = sealed.metadata.toBase64();
        packed = packSealedGalleryRecord(subject, sealed.k, sealed.embedding);
      }
      status = await this.#run("ADD", "add a face", [
        keys.subjects,
        keys.subject(subject),
        keys.faces(subject),
        keys.gallery,
        keys.version,
        keys.dataKey,
        keys.expiries,
      ], [
        subject,
        id,
        JSON.stringify(json),
        stampGalleryRecord(packed, createdMs),
        now,
        MAX_FACES_PER_SUBJECT,
        crypto.randomUUID(),
        keyId,
        expiry,
      ]);
    }
    if (status === "full") throw tooManyFaces(subject);
    if (status !== "ok" && status !== "exists") {
      throw unavailable("upstash", "add a face", new Error(String(status)));
    }
    const record: FaceRecord = {
      id,
      subject,
      model: ref.model,
      embedding: checked.embedding,
      quality: checked.quality,
      created_at: created,
    };
    if (checked.metadataJson !== undefined) record.metadata = JSON.parse(checked.metadataJson);
    if (status === "exists") record.existing = true;
    return record;
  }

  /** The subject with its faces (by face id), or null; one round trip. */
  async getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const reply = await this.#run("GET_SUBJECT", "read a subject", [
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
      const opened = await this.#embedding(ref, dek, id, row, subject);
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
          : await this.#sealer.openMetadata(ref, dek, subject, id, f.k, Uint8Array.fromBase64(f.m));
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
  async listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const limit = pageLimit(options);
    const after = decodeCursor(options?.cursor);
    const rows = await this.#run("LIST_SUBJECTS", "list subjects", [keys.subjects], [
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

  /** Deletes a subject and its faces atomically; false when it did not exist. */
  async deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const n = await this.#run("DELETE_SUBJECT", "delete a subject", [
      keys.subjects,
      keys.subject(subject),
      keys.faces(subject),
      keys.gallery,
      keys.version,
      keys.expiries,
    ], [subject, crypto.randomUUID()]);
    return Number(n) >= 0;
  }

  /** Deletes one face, and the subject with its last face, atomically; false when absent. */
  async deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    validateName("face id", faceId);
    const n = await this.#run("DELETE_FACE", "delete a face", [
      keys.subjects,
      keys.subject(subject),
      keys.faces(subject),
      keys.gallery,
      keys.version,
      keys.expiries,
    ], [subject, faceId, this.#now().toISOString(), crypto.randomUUID()]);
    return Number(n) === 1;
  }

  /** Sets or clears a subject's expiry in one script; false when the subject does not exist. */
  async setSubjectExpiry(
    ref: CollectionRef,
    subject: string,
    expiresAt: string | null,
  ): Promise<boolean> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const n = await this.#run("SET_EXPIRY", "set a subject's expiry", [
      keys.subject(subject),
      keys.expiries,
      keys.version,
    ], [subject, checkExpiry(expiresAt) ?? "", this.#now().toISOString(), crypto.randomUUID()]);
    return Number(n) === 1;
  }

  /** Every collection with subjects under this store's prefix, of every model (SCAN). */
  async listCollections(): Promise<CollectionRef[]> {
    return (await this.#scanKeys(`${SCHEMA_VERSION}:{*}:subjects`)).map(refOfKey);
  }

  /**
   * Deletes the collection, 100 whole subjects per atomic script call.
   *
   * @returns The number of faces removed.
   */
  async deleteCollection(ref: CollectionRef): Promise<number> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    let removed = 0;
    while (true) {
      const [faces, subjects] = await this.#run("DELETE_SUBJECTS", "delete a collection", [
        keys.subjects,
        keys.gallery,
        keys.version,
        keys.dataKey,
        keys.expiries,
      ], [keys.base, 100, crypto.randomUUID()]) as [number, number];
      removed += faces;
      if (subjects === 0) return removed;
    }
  }

  /** The collection's write token (one GET), or null when it was never written. */
  async galleryVersion(ref: CollectionRef): Promise<string | null> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    try {
      const v = await this.#redis.get<string>(keys.version);
      return v === null || v === undefined ? null : String(v);
    } catch (err) {
      throw unavailable("upstash", "read the gallery version", err);
    }
  }

  /**
   * Every face of the collection, packed with creation times and subject expiries; one round trip
   * up to `galleryBatch` faces. Rows written before retention existed carry no creation time: it
   * is read from their faces' records, in one more round trip.
   */
  gallery(ref: CollectionRef): Promise<Gallery> {
    return galleryOfBatches(this.#galleryBatches(ref));
  }

  /**
   * The gallery in chunks of up to `galleryBatch` faces, one round trip each (see
   * `FaceStore.galleryChunks`): identify indexes each as it arrives.
   */
  galleryChunks(ref: CollectionRef): AsyncIterable<Gallery> {
    return chunksOfBatches(this.#galleryBatches(ref));
  }

  /**
   * Reads the gallery hash batch by batch (HGETALL when small, else HSCAN) and opens each batch as
   * it arrives: only one batch's packed strings are alive at a time. Not a snapshot beyond one
   * batch; a face HSCAN returns twice is kept once.
   */
  async *#galleryBatches(
    ref: CollectionRef,
  ): AsyncIterable<GalleryBatch> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const seen = new Set<string>();
    const expiries = new Map<string, number>();
    let dek: WrappedDataKey | null = null;
    let cursor = "0";
    do {
      const [next, flat, dekValue, expiryFlat] = await this.#run("GALLERY", "read the gallery", [
        keys.gallery,
        keys.dataKey,
        keys.expiries,
      ], [this.#galleryBatch, cursor]) as [string, string[], string, string[]];
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
        const face = await this.#embedding(ref, dek, faceId, packed);
        if (face === null) return null;
        const row: GalleryRow = { subject: face.subject, faceId, embedding: face.embedding };
        const createdAt = face.createdMs ?? galleryRecordCreatedAt(packed);
        if (createdAt !== null) row.createdAt = createdAt;
        return row;
      });
      const rows = opened.filter((r): r is GalleryRow => r !== null);
      await this.#legacyCreationTimes(keys, rows.filter((r) => r.createdAt === undefined));
      yield { rows, expiries };
      cursor = String(next);
    } while (cursor !== "0");
  }

  /** Reads the creation time of gallery rows written without one from their face records. */
  async #legacyCreationTimes(
    keys: ReturnType<typeof redisCollectionKeys>,
    rows: GalleryRow[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const found = await this.#run(
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

  /** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
  async rotateMasterKey(): Promise<RotationReport> {
    const cipher = this.#sealer.require("rotate the master key");
    const report = { collections: 0, rewrapped: 0, master_key_id: cipher.keyring.newest.id };
    for (const key of await this.#scanKeys(`${SCHEMA_VERSION}:{*}:dek`)) {
      const scope = this.#sealer.scope(refOfKey(key));
      for (let attempt = 0;; attempt++) {
        const value = await this.#get(key, "rotate the master key");
        const stored = parseDataKey(value);
        if (stored === null) break;
        if (attempt === 0) report.collections++;
        const next = await cipher.rewrap(scope, stored);
        if (next === null) break;
        const swapped = await this.#run("SWAP_DATA_KEY", "rotate the master key", [key], [
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
    this.#dataKeys.clear();
    return report;
  }

  /** Seals every plain face record in place (see `KeyMaintenance`). */
  async sealPlainRecords(): Promise<number> {
    this.#sealer.require("seal plain records");
    let count = 0;
    await this.#eachPlainRow("seal plain records", async (ref, faceId, packed) => {
      if (await this.#sealOne(ref, faceId, packed)) count++;
    });
    return count;
  }

  /** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
  async countPlainRecords(): Promise<number> {
    let count = 0;
    await this.#eachPlainRow("count plain records", () => {
      count++;
      return Promise.resolve();
    });
    return count;
  }

  /** Calls `fn` for each plain gallery row of every collection (SCAN, then HSCAN batches). */
  async #eachPlainRow(
    action: string,
    fn: (ref: CollectionRef, faceId: string, packed: string) => Promise<void>,
  ): Promise<void> {
    for (const galleryKey of await this.#scanKeys(`${SCHEMA_VERSION}:{*}:gallery`)) {
      const ref = refOfKey(galleryKey);
      const keys = redisCollectionKeys(ref, this.#prefix);
      let cursor = "0";
      do {
        const [next, flat] = await this.#run("GALLERY", action, [
          keys.gallery,
          keys.dataKey,
        ], [this.#galleryBatch, cursor]) as [string, string[], string];
        for (let i = 0; i < flat.length; i += 2) {
          if (isSealedRow(flat[i + 1])) continue;
          await fn(ref, flat[i], flat[i + 1]);
        }
        cursor = String(next);
      } while (cursor !== "0");
    }
  }

  /** Re-seals every v1-AAD gallery row with the v2 AAD (see `KeyMaintenance`). */
  async resealLegacyRecords(): Promise<number> {
    this.#sealer.require("re-seal records");
    let count = 0;
    for (const galleryKey of await this.#scanKeys(`${SCHEMA_VERSION}:{*}:gallery`)) {
      const ref = refOfKey(galleryKey);
      const keys = redisCollectionKeys(ref, this.#prefix);
      let cursor = "0";
      do {
        const [next, flat, dekValue] = await this.#run("GALLERY", "re-seal records", [
          keys.gallery,
          keys.dataKey,
        ], [this.#galleryBatch, cursor]) as [string, string[], string];
        const dek = parseDataKey(dekValue);
        for (let i = 0; i < flat.length; i += 2) {
          if (await this.#resealOne(ref, dek, flat[i], flat[i + 1])) count++;
        }
        cursor = String(next);
      } while (cursor !== "0");
    }
    return count;
  }

  /** Re-seals one v1 row under the v2 AAD; false when it is not v1, does not open, or changed. */
  async #resealOne(
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
    const embedding = await this.#sealer.openEmbedding(
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
      const keys = redisCollectionKeys(ref, this.#prefix);
      const json = await this.#run("FACE_TIMES", "re-seal records", [keys.faces(subject)], [
        faceId,
      ]) as string[];
      createdMs = json[0] ? Date.parse((JSON.parse(json[0]) as FaceJson).c) : NaN;
      if (!Number.isFinite(createdMs)) return false;
    }
    const dataKey = await this.#sealer.dataKey(ref, dek);
    const sealed = await this.#sealer.sealFace(
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
    const keys = redisCollectionKeys(ref, this.#prefix);
    return Number(
      await this.#run("SWAP_ROW", "re-seal records", [keys.gallery], [faceId, packed, next]),
    ) === 1;
  }

  /** Seals one plain face (gallery row and metadata); false when it changed meanwhile. */
  async #sealOne(ref: CollectionRef, faceId: string, packed: string): Promise<boolean> {
    const keys = redisCollectionKeys(ref, this.#prefix);
    const { subject, embedding } = unpackGalleryRecord(packed);
    let oldJson: string | null;
    try {
      oldJson = await this.#redis.hget<string>(keys.faces(subject), faceId);
    } catch (err) {
      throw unavailable("upstash", "seal plain records", err);
    }
    if (oldJson === null || oldJson === undefined) return false;
    const f = JSON.parse(String(oldJson)) as FaceJson;
    for (let attempt = 0; attempt < 5; attempt++) {
      const wrapped = await this.#dataKey(ref, keys.dataKey, attempt > 0);
      const dataKey = await this.#sealer.dataKey(ref, wrapped);
      // Unstamped rows (before retention) take their face's creation time, now authenticated.
      const createdAt = galleryRecordCreatedAt(packed) ?? Date.parse(f.c);
      const sealed = await this.#sealer.sealFace(
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
      const ok = await this.#run("SEAL_FACE", "seal plain records", [
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

  /** Keys under this store's prefix matching `pattern` (SCAN). */
  async #scanKeys(pattern: string): Promise<string[]> {
    const match = this.#prefix.replace(/[*?[\]\\]/g, "\\$&") + pattern;
    const out: string[] = [];
    let cursor = "0";
    try {
      do {
        const [next, keys] = await this.#redis.scan(cursor, { match, count: 500 });
        out.push(...keys);
        cursor = String(next);
      } while (cursor !== "0");
    } catch (err) {
      throw unavailable("upstash", "list keys", err);
    }
    return [...new Set(out)];
  }

  async #get(key: string, action: string): Promise<string | null> {
    try {
      const v = await this.#redis.get<string>(key);
      return v === null || v === undefined ? null : String(v);
    } catch (err) {
      throw unavailable("upstash", action, err);
    }
  }

  /**
   * Deletes every key under this store's prefix (SCAN + DEL). For tests and tooling only.
   *
   * @returns The number of keys deleted.
   * @throws {FaceError} `store_unavailable` when Redis fails.
   */
  async purge(): Promise<number> {
    let deleted = 0;
    let cursor = "0";
    const match = this.#prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
    try {
      do {
        const [next, keys] = await this.#redis.scan(cursor, { match, count: 500 });
        if (keys.length > 0) deleted += await this.#redis.del(...keys);
        cursor = String(next);
      } while (cursor !== "0");
    } catch (err) {
      throw unavailable("upstash", "purge the store", err);
    }
    return deleted;
  }

  /** Nothing to release: the REST client holds no connections of its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The collection's data key, created when there is none (first writer wins). */
  async #dataKey(ref: CollectionRef, key: string, reload: boolean): Promise<WrappedDataKey> {
    if (!reload) {
      const cached = this.#dataKeys.get(key);
      if (cached !== undefined) return cached;
    }
    let value: string | null;
    try {
      value = await this.#redis.get<string>(key);
    } catch (err) {
      throw unavailable("upstash", "read the data key", err);
    }
    if (!value) {
      const w = await this.#sealer.newDataKey(ref);
      value = String(
        await this.#run("CREATE_DATA_KEY", "create a data key", [key], [
          `${w.id}.${w.kid}.${w.wrapped}`,
        ]),
      );
    }
    const wrapped = parseDataKey(value)!;
    if (this.#dataKeys.size >= 1000) this.#dataKeys.clear();
    this.#dataKeys.set(key, wrapped);
    return wrapped;
  }

  /**
   * A gallery row opened: its subject, embedding and (v2 rows) authenticated creation time; null
   * when the row is refused: plain while encryption is on, malformed, not a valid sealed envelope
   * for exactly this face, or (with `expectSubject`, from a subject's faces) sealed for another
   * subject.
   */
  async #embedding(
    ref: CollectionRef,
    dek: WrappedDataKey | null,
    faceId: string,
    packed: string | null,
    expectSubject?: string,
  ): Promise<{ subject: string; embedding: Float32Array; createdMs: number | null } | null> {
    const sealer = this.#sealer;
    const where = expectSubject ?? "?";
    if (typeof packed !== "string") return sealer.refuse(ref, where, faceId, "altered");
    let sealed;
    try {
      sealed = unpackSealedGalleryRecord(packed);
      if (sealed === null) {
        const plain = unpackGalleryRecord(packed);
        if (sealer.sealedOnly) return sealer.refuse(ref, plain.subject, faceId, "plain");
        if (expectSubject !== undefined && plain.subject !== expectSubject) {
          return sealer.refuse(ref, where, faceId, "moved");
        }
        return { subject: plain.subject, embedding: plain.embedding, createdMs: null };
      }
    } catch {
      return sealer.refuse(ref, where, faceId, "altered");
    }
    const { subject, keyId } = sealed;
    if (expectSubject !== undefined && subject !== expectSubject) {
      return sealer.refuse(ref, where, faceId, "moved");
    }
    const createdMs = sealed.aad === 2 ? galleryRecordCreatedAt(packed) : null;
    if (sealed.aad === 2 && createdMs === null) {
      return sealer.refuse(ref, subject, faceId, "altered");
    }
    const embedding = await sealer.openEmbedding(
      ref,
      dek,
      subject,
      faceId,
      keyId,
      sealed.sealed,
      createdMs,
    );
    return embedding === null ? null : { subject, embedding, createdMs };
  }

  /** Records refused by sealed-only reads since the store was created. */
  get refusedRecords(): number {
    return this.#sealer.refused;
  }

  async #run(
    name: ScriptName,
    action: string,
    keys: string[],
    args: Array<string | number>,
  ): Promise<unknown> {
    let script = this.#scripts.get(name);
    if (!script) {
      script = this.#redis.createScript(SCRIPTS[name]);
      this.#scripts.set(name, script);
    }
    try {
      return await script.exec(keys, args.map(String));
    } catch (err) {
      throw unavailable("upstash", action, err);
    }
  }
}

/** Whether a gallery row is sealed (a malformed one counts as sealed: it is never plain). */
function isSealedRow(packed: string): boolean {
  try {
    return unpackSealedGalleryRecord(packed) !== null;
  } catch {
    return true;
  }
}

/** The collection a `...{model|collection}:...` key belongs to. */
function refOfKey(key: string): CollectionRef {
  const open = key.indexOf("{"), close = key.indexOf("}", open);
  const [model, collection] = key.slice(open + 1, close).split("|");
  return { model, collection };
}
