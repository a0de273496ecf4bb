/**
 * Which embedder recipe a collection uses. Faces are stored under their recipe's model id and
 * images are never stored, so a collection keeps the recipe it was created with forever; a probe
 * for it must be embedded with that recipe.
 *
 * @module
 */
import {
  defaultRecipe,
  embedderRecipes,
  type ModelManifest,
  type RecipeEntry,
} from "../../models/manifest.ts";
import type { CollectionRef, ListSubjectsOptions, SubjectPage } from "../store/mod.ts";

/** The one store call the lookup needs. */
export interface RecipeLookupStore {
  listSubjects(ref: CollectionRef, options?: ListSubjectsOptions): Promise<SubjectPage>;
}

/** The recipe of a collection and whether the collection exists. */
export interface CollectionRecipe {
  recipe: RecipeEntry;
  /** False for a collection without faces under any recipe (it would be created by an enrol). */
  exists: boolean;
}

/**
 * Finds the recipe `collection` was created with: the first supported recipe, the default one
 * first, under whose model id the collection has a subject. A collection with none (new, or
 * emptied) gets the manifest's default recipe. One `listSubjects` (limit 1) per recipe tried.
 *
 * @throws {FaceError} `store_unavailable` from the store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryFaceStore } from "../store/mod.ts";
 * import { MODEL_MANIFEST } from "../../models/manifest.ts";
 * import { collectionRecipe } from "./collection_recipe.ts";
 * const found = await collectionRecipe(new MemoryFaceStore(), "staff", MODEL_MANIFEST);
 * assert.equal(found.exists, false);
 * ```
 */
export async function collectionRecipe(
  store: RecipeLookupStore,
  collection: string,
  manifest: ModelManifest,
): Promise<CollectionRecipe> {
  const preferred = defaultRecipe(manifest);
  const order = [preferred, ...embedderRecipes(manifest).filter((r) => r.id !== preferred.id)];
  for (const recipe of order) {
    const page = await store.listSubjects({ model: recipe.id, collection }, { limit: 1 });
    if (page.subjects.length > 0) return { recipe, exists: true };
  }
  return { recipe: preferred, exists: false };
}
