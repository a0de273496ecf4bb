/**
 * The per-isolate int8 index of a collection's gallery, shared by identify and the purge.
 *
 * @module
 */
import type { GalleryIndex } from "../match/mod.ts";
import type { CollectionRef } from "../store/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/**
 * The collection's index from the isolate's cache, valid until the store's gallery version
 * changes (a warm call is one version read). A reload reads the gallery in chunks when the store
 * can, so the float32 gallery never exists whole (what keeps identify inside a 128 MB isolate).
 *
 * @throws {FaceError} `store_unavailable` from the store.
 */
export async function cachedIndex(deps: UseCaseDeps, ref: CollectionRef): Promise<GalleryIndex> {
  const { store } = deps;
  const version = store.galleryVersion ? await store.galleryVersion(ref) : null;
  return await deps.galleries.get(
    `${ref.model}|${ref.collection}`,
    version,
    () => store.galleryChunks ? store.galleryChunks(ref) : store.gallery(ref),
  );
}
