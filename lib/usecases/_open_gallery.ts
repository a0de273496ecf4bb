/**
 * Opening a collection's gallery for identify: from the per-isolate index cache when its write
 * token is unchanged, else read from the store and indexed.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import {
  type GalleryCandidate,
  liveGallery,
  type LiveWindow,
  searchGallery,
} from "../match/mod.ts";
import { cachedIndex } from "./_cached_index.ts";
import { ShardedFaceStore } from "../shards/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/** One collection opened for search: its face count and the `k` nearest subjects of an embedding. */
export interface OpenedGallery {
  /** Faces in the gallery (expired ones included: the count a stranger is compared with at most). */
  faces: number;
  /** The `k` nearest subjects of `embedding` among the faces live in the window. */
  search: (embedding: Float32Array, k: number) => Promise<GalleryCandidate[]>;
}

/**
 * Opens a collection's gallery once for any number of searches of the faces live in `window`;
 * starts a background purge (`deps.backgroundPurge`, throttled) of the collection.
 */
export async function openGallery(
  deps: UseCaseDeps,
  collection: string,
  window: LiveWindow,
): Promise<OpenedGallery> {
  const ref = { model: deps.model, collection };
  const { store } = deps;
  const mismatch = (dim: number, embedding: Float32Array) =>
    new FaceError(
      "model_mismatch",
      `Cannot identify: the gallery holds ${dim}-d embeddings, the model makes ${embedding.length}-d`,
    );
  if (store instanceof ShardedFaceStore && store.shardsOf(collection) > 0) {
    const sharded = await store.openSharded(ref, window);
    if (sharded) return sharded;
  }
  if (deps.matchStrategy === "nearest") {
    const index = await cachedIndex(deps, ref);
    deps.backgroundPurge?.request(deps, collection);
    return {
      faces: index.size,
      search: (embedding, k) => {
        if (index.size === 0) return Promise.resolve([]);
        if (index.dim !== embedding.length) throw mismatch(index.dim, embedding);
        return Promise.resolve(index.search(embedding, k, window));
      },
    };
  }
  const gallery = liveGallery(await store.gallery(ref), window);
  deps.backgroundPurge?.request(deps, collection);
  const strategy = deps.matchStrategy;
  return {
    faces: gallery.faceIds.length,
    search: (embedding, k) => {
      if (gallery.faceIds.length === 0) return Promise.resolve([]);
      if (gallery.dim !== embedding.length) throw mismatch(gallery.dim, embedding);
      return Promise.resolve(searchGallery(gallery, embedding, { k, strategy }));
    },
  };
}
