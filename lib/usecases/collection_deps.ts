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

/**
 * `deps` for `collection`: its recipe found in the store ({@linkcode collectionRecipe}).
 * @throws {FaceError} `store_unavailable` from the store.
 */
export async function forCollection(deps: UseCaseDeps, collection: string): Promise<UseCaseDeps> {
  const manifest: ModelManifest = deps.pipeline.manifest;
  const { recipe } = await collectionRecipe(deps.store, collection, manifest);
  return recipe.id === deps.model ? deps : withRecipe(deps, recipe.id);
}
