import type { Gallery } from "./gallery.ts";
import { GalleryIndex, type GalleryIndexOptions } from "./gallery_index.ts";

/** Options for {@linkcode GalleryCache}. */
export interface GalleryCacheOptions {
  /** Evict least-recently used indexes beyond this many bytes. Default: 256 MiB. */
  maxBytes?: number;
  /** Index options. Default: SIMD when available. */
  index?: GalleryIndexOptions;
}

interface Entry {
  version: string;
  index: Promise<GalleryIndex>;
  bytes: number;
}

/**
 * A per-isolate cache of {@linkcode GalleryIndex}es keyed by collection and invalidated by the
 * store's gallery version: a warm identify costs one version read instead of reading the whole
 * gallery. A `null` version (a store or collection without one) is never cached. Concurrent
 * requests for the same version share one load.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GalleryCache, type GalleryCacheOptions } from "./gallery_cache.ts";
 * const options: GalleryCacheOptions = { maxBytes: 1 << 20 };
 * const cache = new GalleryCache(options);
 * let loads = 0;
 * const load = () => {
 *   loads++;
 *   return Promise.resolve({ dim: 16, subjects: [], subjectIndex: new Int32Array(0), faceIds: [], vectors: new Float32Array(0) });
 * };
 * await cache.get("m|c", "v1", load);
 * await cache.get("m|c", "v1", load);
 * await cache.get("m|c", "v2", load);
 * assert.equal(loads, 2);
 * ```
 */
export class GalleryCache {
  readonly #maxBytes: number;
  readonly #indexOptions: GalleryIndexOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: GalleryCacheOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#indexOptions = options.index ?? {};
  }

  /**
   * The index for `key` at `version`, loading and indexing the gallery when it changed. `load`
   * gives the whole gallery, or its chunks (indexed as they arrive: see
   * {@linkcode GalleryIndex.fromChunks}).
   */
  get(
    key: string,
    version: string | null,
    load: () => Promise<Gallery> | AsyncIterable<Gallery>,
  ): Promise<GalleryIndex> {
    if (version === null) return this.#index(load);
    const hit = this.#entries.get(key);
    if (hit && hit.version === version) {
      // Refresh recency.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.index;
    }
    const entry: Entry = {
      version,
      bytes: 0,
      index: this.#index(load),
    };
    this.#entries.set(key, entry);
    entry.index.then((index) => {
      entry.bytes = index.bytes;
      this.#evict();
    }, () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return entry.index;
  }

  #index(load: () => Promise<Gallery> | AsyncIterable<Gallery>): Promise<GalleryIndex> {
    try {
      const source = load();
      if (Symbol.asyncIterator in source) {
        return GalleryIndex.fromChunks(source, this.#indexOptions);
      }
      return source.then((g) => GalleryIndex.build(g, this.#indexOptions));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Bytes held by the cached indexes. */
  get bytes(): number {
    let total = 0;
    for (const e of this.#entries.values()) total += e.bytes;
    return total;
  }

  #evict(): void {
    let total = this.bytes;
    for (const [key, e] of this.#entries) {
      if (total <= this.#maxBytes || this.#entries.size <= 1) break;
      total -= e.bytes;
      this.#entries.delete(key);
    }
  }
}
