/**
 * A {@linkcode FaceStore} whose chosen collections are also held by gallery shards (Durable
 * Objects): the wrapped store stays the source of truth (one key schema, sealing, listing, erasure,
 * retention, audit as on every store) and every write of a sharded collection goes on to the
 * subject's owning shard, which keeps the template in its own SQLite storage and a resident int8
 * index. identify then asks the shards instead of reading the gallery into the Worker.
 *
 * A write that reached the store but not its shard throws `store_unavailable` (503): the client's
 * retry with the same `Idempotency-Key` re-sends it (face ids make both writes idempotent).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { GalleryCandidate, LiveWindow } from "../match/mod.ts";
import type {
  CollectionRef,
  FaceRecord,
  FaceStore,
  Gallery,
  ListSubjectsOptions,
  NewFace,
  SubjectPage,
  SubjectRecord,
} from "../store/mod.ts";
import { mergeShardResults, type ShardResult } from "./merge_shard_results.ts";
import { packRows } from "./shard_protocol.ts";
import { shardOf } from "./shard_of.ts";

/** A shard's stub: what a Durable Object namespace's `get(id)` gives (only `fetch` is used). */
export interface ShardStub {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

/** Finds the stub of a shard by its name (`idFromName` + `get` on Workers). */
export type ShardResolver = (name: string) => ShardStub;

/** A sharded collection opened for identify. */
export interface ShardedGallery {
  /** Faces in all shards. */
  faces: number;
  /** The merged top-k of every shard; throws `store_unavailable` when any shard fails. */
  search: (embedding: Float32Array, k: number) => Promise<GalleryCandidate[]>;
}

/** Options of {@linkcode ShardedFaceStore}. */
export interface ShardedFaceStoreOptions {
  /** Shards per sharded collection, by collection name (all models). */
  collections: Record<string, number>;
  /** The shards' stubs. */
  resolve: ShardResolver;
}

/** The name of shard `i` of `n` of a collection: one Durable Object per name. */
export function shardName(ref: CollectionRef, i: number, n: number): string {
  return `${ref.model}|${ref.collection}|${i}/${n}`;
}

/** The {@linkcode FaceStore} of the module doc. */
export class ShardedFaceStore implements FaceStore {
  readonly kind: string;
  readonly #base: FaceStore;
  readonly #options: ShardedFaceStoreOptions;

  constructor(base: FaceStore, options: ShardedFaceStoreOptions) {
    this.#base = base;
    this.#options = options;
    this.kind = base.kind;
    if (base.galleryChunks) this.galleryChunks = (ref) => base.galleryChunks!(ref);
    if (base.galleryVersion) this.galleryVersion = (ref) => base.galleryVersion!(ref);
  }

  galleryChunks?: (ref: CollectionRef) => AsyncIterable<Gallery>;
  galleryVersion?: (ref: CollectionRef) => Promise<string | null>;

  /** Shards of a collection, or 0 when it is not sharded. */
  shardsOf(collection: string): number {
    return this.#options.collections[collection] ?? 0;
  }

  async #call(ref: CollectionRef, i: number, path: string, init?: RequestInit): Promise<Response> {
    const n = this.shardsOf(ref.collection);
    const why = (detail: string) =>
      new FaceError(
        "store_unavailable",
        `Cannot reach gallery shard ${i} of ${n} of collection ${ref.collection}: ${detail}`,
      );
    let res: Response;
    try {
      const name = shardName(ref, i, n);
      res = await this.#options.resolve(name).fetch(`https://shard${path}`, {
        ...init,
        headers: { "x-facegate-shard": name },
      });
    } catch (err) {
      throw why(err instanceof Error ? err.message : String(err));
    }
    if (!res.ok) throw why(`status ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res;
  }

  async addFace(ref: CollectionRef, subject: string, face: NewFace): Promise<FaceRecord> {
    const record = await this.#base.addFace(ref, subject, face);
    const n = this.shardsOf(ref.collection);
    if (n > 0) {
      const body = packRows({
        dim: record.embedding.length,
        faces: [{ subject, face_id: record.id, created_at: Date.parse(record.created_at) }],
        vectors: record.embedding,
      });
      await (await this.#call(ref, shardOf(subject, n), "/add", { method: "POST", body })).body
        ?.cancel();
    }
    return record;
  }

  getSubject(ref: CollectionRef, subject: string): Promise<SubjectRecord | null> {
    return this.#base.getSubject(ref, subject);
  }

  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage> {
    return this.#base.listSubjects(ref, options);
  }

  async deleteSubject(ref: CollectionRef, subject: string): Promise<boolean> {
    const found = await this.#base.deleteSubject(ref, subject);
    const n = this.shardsOf(ref.collection);
    if (n > 0) {
      const q = `/delete?subject=${encodeURIComponent(subject)}`;
      await (await this.#call(ref, shardOf(subject, n), q, { method: "POST" })).body?.cancel();
    }
    return found;
  }

  async deleteFace(ref: CollectionRef, subject: string, faceId: string): Promise<boolean> {
    const found = await this.#base.deleteFace(ref, subject, faceId);
    const n = this.shardsOf(ref.collection);
    if (n > 0) {
      const q = `/delete?subject=${encodeURIComponent(subject)}&face_id=${
        encodeURIComponent(faceId)
      }`;
      await (await this.#call(ref, shardOf(subject, n), q, { method: "POST" })).body?.cancel();
    }
    return found;
  }

  setSubjectExpiry(ref: CollectionRef, subject: string, at: string | null): Promise<boolean> {
    return this.#base.setSubjectExpiry(ref, subject, at);
  }

  listCollections(): Promise<CollectionRef[]> {
    return this.#base.listCollections();
  }

  async deleteCollection(ref: CollectionRef): Promise<number> {
    const removed = await this.#base.deleteCollection(ref);
    const n = this.shardsOf(ref.collection);
    await Promise.all(
      Array.from(
        { length: n },
        async (_, i) =>
          await (await this.#call(ref, i, "/delete?all=1", { method: "POST" })).body?.cancel(),
      ),
    );
    return removed;
  }

  gallery(ref: CollectionRef): Promise<Gallery> {
    return this.#base.gallery(ref);
  }

  close(): Promise<void> {
    return this.#base.close();
  }

  /**
   * A sharded collection opened for identify (one parallel stats call to every shard, which also
   * wakes them), or null when the collection is not sharded. All or nothing: any shard failing
   * throws `store_unavailable`, never a partial answer.
   */
  async openSharded(ref: CollectionRef, window: LiveWindow): Promise<ShardedGallery | null> {
    const n = this.shardsOf(ref.collection);
    if (n === 0) return null;
    const all = Array.from({ length: n }, (_, i) => i);
    const stats = await Promise.all(
      all.map(async (i) =>
        (await (await this.#call(ref, i, "/stats")).json()) as { faces: number }
      ),
    );
    return {
      faces: stats.reduce((s, x) => s + x.faces, 0),
      search: async (embedding, k) => {
        // Shards know each face's creation time (retention) but not its subject's expiry: ask for
        // more, then drop expired subjects with the store's records (one parallel read each).
        const q = `/search?k=${2 * k}&since=${window.createdSince}`;
        const body = new Float32Array(embedding);
        const results = await Promise.all(
          all.map(async (i) =>
            (await (await this.#call(ref, i, q, { method: "POST", body })).json()) as ShardResult
          ),
        );
        const merged = mergeShardResults(results, 2 * k).candidates;
        const subjects = [...new Set(merged.map((c) => c.subject))];
        const records = await Promise.all(subjects.map((s) => this.#base.getSubject(ref, s)));
        // (A subject the store does not hold, e.g. a memory store after a restart, is left to
        // the shard: deletes reach the shards through this store, so it is not stale.)
        const expired = new Set(
          subjects.filter((_, i) => {
            const at = records[i]?.expires_at;
            return at !== undefined && Date.parse(at) <= window.now;
          }),
        );
        return merged.filter((c) => !expired.has(c.subject)).slice(0, k);
      },
    };
  }
}
