import assert from "node:assert/strict";
import { collectionRecipe } from "../../../lib/embed/mod.ts";
import { MemoryFaceStore } from "../../../lib/store/mod.ts";
import { MODEL_MANIFEST, type ModelManifest } from "../../../models/manifest.ts";

const V1 = MODEL_MANIFEST.embedder.id;
const V2 = `${V1}+noflip`;
/** A registry with two recipes of the same weights, the second the default. */
const manifest: ModelManifest = {
  ...MODEL_MANIFEST,
  recipes: {
    default: V2,
    entries: [
      { id: V1, embedder: V1, precision: "fp32", flip: true },
      { id: V2, embedder: V1, precision: "fp32", flip: false },
    ],
  },
};

function face(seed: number) {
  const e = new Float32Array(512);
  e[seed % 512] = 1;
  return { embedding: e, quality: 0.9 };
}

Deno.test("collectionRecipe() gives a new collection the default recipe", async () => {
  const found = await collectionRecipe(new MemoryFaceStore(), "staff", manifest);
  assert.deepEqual([found.recipe.id, found.exists], [V2, false]);
});

Deno.test("collectionRecipe() keeps the recipe a collection was created with", async () => {
  const store = new MemoryFaceStore();
  await store.addFace({ model: V1, collection: "old" }, "ada", face(1));
  await store.addFace({ model: V2, collection: "new" }, "bob", face(2));
  const old = await collectionRecipe(store, "old", manifest);
  assert.deepEqual([old.recipe.id, old.recipe.flip, old.exists], [V1, true, true]);
  const fresh = await collectionRecipe(store, "new", manifest);
  assert.deepEqual([fresh.recipe.id, fresh.recipe.flip, fresh.exists], [V2, false, true]);
});

Deno.test("collectionRecipe() prefers the default recipe when a collection exists under both", async () => {
  const store = new MemoryFaceStore();
  await store.addFace({ model: V1, collection: "both" }, "ada", face(1));
  await store.addFace({ model: V2, collection: "both" }, "bob", face(2));
  assert.equal((await collectionRecipe(store, "both", manifest)).recipe.id, V2);
});

Deno.test("collectionRecipe() returns an emptied collection to the default recipe", async () => {
  const store = new MemoryFaceStore();
  await store.addFace({ model: V1, collection: "c" }, "ada", face(1));
  await store.deleteSubject({ model: V1, collection: "c" }, "ada");
  assert.deepEqual((await collectionRecipe(store, "c", manifest)).exists, false);
});

Deno.test("collectionRecipe() with the committed manifest finds collections of every listed recipe", async () => {
  const { embedderRecipes } = await import("../../../models/manifest.ts");
  for (const r of embedderRecipes()) {
    const store = new MemoryFaceStore();
    await store.addFace({ model: r.id, collection: "c" }, "ada", face(3));
    const found = await collectionRecipe(store, "c", MODEL_MANIFEST);
    assert.deepEqual([found.recipe.id, found.exists], [r.id, true]);
  }
});
