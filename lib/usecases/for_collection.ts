/**
 * The use cases' dependencies for one collection: its embedder recipe (the one it was created
 * with, or the manifest's default for a new collection) decides the stored model id, the
 * pipeline's flip and the thresholds, so a collection is never probed with another recipe.
 *
 * @module
 */
import { collectionRecipe } from "../embed/mod.ts";
import { defaultRecipe, type ModelManifest, recipeManifest } from "../../models/manifest.ts";
import { matchThresholds } from "./match_thresholds.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/**
 * `deps` seen through `manifest`'s recipe `id`: model id, pipeline manifest and thresholds.
 * @throws {RangeError} when `id` is not a recipe the manifest can run.
 */
export function withRecipe(deps: UseCaseDeps, id: string): UseCaseDeps {
  const manifest = recipeManifest(deps.pipeline.manifest, id);
  return {
    ...deps,
    model: id,
    thresholds: matchThresholds(manifest),
    pipeline: { ...deps.pipeline, manifest },
  };
}

/** `deps` for new work without a collection (compare, embed): the default recipe. */
export function withDefaultRecipe(deps: UseCaseDeps): UseCaseDeps {
  return withRecipe(deps, defaultRecipe(deps.pipeline.manifest).id);
}

/** Most collection names remembered per store as being on the default recipe. */
const MAX_REMEMBERED = 10_000;

/** How long an isolate trusts that a collection is on the default recipe (ms). */
export const RECIPE_MEMORY_MS = 60_000;

/**
 * Per isolate and store: collections found holding faces under the default recipe, with when that
 * stops being trusted. A collection converted to another recipe (`convertCollection`) is forgotten
 * at once by the converting isolate and within {@linkcode RECIPE_MEMORY_MS} by the others. A
 * collection on another recipe is looked up every time.
 */
const onDefault = new WeakMap<object, Map<string, number>>();

/** Forgets what this isolate remembered of `collection`'s recipe (after a conversion). */
export function forgetCollectionRecipe(store: object, collection: string): void {
  onDefault.get(store)?.delete(collection);
}

/**
 * `deps` for `collection`: its recipe found in the store ({@linkcode collectionRecipe}); no store
 * call for a collection this isolate already saw on the default recipe.
 * @throws {FaceError} `store_unavailable` from the store.
 */
export async function forCollection(deps: UseCaseDeps, collection: string): Promise<UseCaseDeps> {
  const manifest: ModelManifest = deps.pipeline.manifest;
  const preferred = defaultRecipe(manifest).id;
  let known = onDefault.get(deps.store);
  let id = preferred;
  const until = known?.get(collection);
  if (until === undefined || until < Date.now()) {
    const { recipe, exists } = await collectionRecipe(deps.store, collection, manifest);
    id = recipe.id;
    if (exists && id === preferred) {
      if (!known) onDefault.set(deps.store, known = new Map());
      if (known.size >= MAX_REMEMBERED) known.clear();
      known.set(collection, Date.now() + RECIPE_MEMORY_MS);
    } else known?.delete(collection);
  }
  return id === deps.model ? deps : withRecipe(deps, id);
}
