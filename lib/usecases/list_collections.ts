/**
 * List collections: what exists and what a key may see of it (names, counts, recipe, policy).
 *
 * @module
 */
import { embedderRecipes } from "../../models/manifest.ts";
import { forCollection } from "./for_collection.ts";
import { getMatchPolicy, type PolicyView } from "./match_policy.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/** One collection as listed. */
export interface CollectionSummary {
  /** The collection's name. */
  collection: string;
  /** The embedder recipe its templates are made with (the stored model id). */
  recipe: string;
  /** How many subjects it holds. */
  subjects: number;
  /** How many faces it holds (all subjects). */
  faces: number;
  /** Its match policy in force: thresholds and their source, retention, liveness. */
  policy: Omit<PolicyView, "collection">;
}

/** Which collections to list. */
export interface ListCollectionsInput {
  /** The caller's collection scope: `"*"` for every collection, else these names. Default: `"*"`. */
  scope?: "*" | readonly string[];
}

/** The listed collections, ordered by name. */
export interface CollectionList {
  collections: CollectionSummary[];
}

/**
 * The collections that hold faces under a recipe this manifest runs, restricted to `scope`, each
 * with its subject and face counts (one page walk of its subjects), the recipe in use and its
 * match policy. A collection being converted is listed once, with the recipe readers use.
 *
 * @throws {FaceError} `store_unavailable`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listCollections } from "./list_collections.ts";
 * import { MemoryFaceStore } from "../store/mod.ts";
 * import { MODEL_MANIFEST } from "../../models/manifest.ts";
 * const deps = { store: new MemoryFaceStore(), pipeline: { manifest: MODEL_MANIFEST } };
 * // deno-lint-ignore no-explicit-any
 * assert.deepEqual(await listCollections(deps as any, { scope: "*" }), { collections: [] });
 * ```
 */
export async function listCollections(
  deps: UseCaseDeps,
  input: ListCollectionsInput = {},
): Promise<CollectionList> {
  const scope = input.scope ?? "*";
  const recipes = new Set(embedderRecipes(deps.pipeline.manifest).map((r) => r.id));
  const names = new Set(
    (await deps.store.listCollections())
      .filter((r) => recipes.has(r.model))
      .map((r) => r.collection)
      .filter((name) => scope === "*" || scope.includes(name)),
  );
  const collections: CollectionSummary[] = [];
  for (const collection of [...names].sort()) {
    const d = await forCollection(deps, collection);
    const ref = { model: d.model, collection };
    let subjects = 0, faces = 0;
    let cursor: string | undefined;
    do {
      const page = await d.store.listSubjects(ref, { limit: 1000, cursor });
      subjects += page.subjects.length;
      for (const s of page.subjects) faces += s.face_count;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    if (faces === 0) continue;
    const { collection: _, ...policy } = await getMatchPolicy(d, { collection });
    collections.push({ collection, recipe: d.model, subjects, faces, policy });
  }
  return { collections };
}
