import assert from "node:assert/strict";
import {
  defaultRecipe,
  embedderRecipes,
  MODEL_MANIFEST,
  type ModelManifest,
  recipeManifest,
} from "../../models/manifest.ts";

const V1 = MODEL_MANIFEST.embedder.id;

Deno.test("embedderRecipes() is the flip-averaged embedder alone when the manifest lists none", () => {
  const bare: ModelManifest = { ...MODEL_MANIFEST, recipes: undefined };
  assert.deepEqual(embedderRecipes(bare), [
    { id: V1, embedder: V1, precision: "fp32", flip: true },
  ]);
  assert.equal(defaultRecipe(bare).id, V1);
});

Deno.test("the committed manifest keeps the original recipe under the embedder's own id", () => {
  const v1 = embedderRecipes().find((r) => r.id === V1);
  assert.ok(v1, "the stored model id of existing collections must stay supported");
  assert.equal(v1.flip, true);
  assert.equal(v1.embedder, V1);
  const ids = embedderRecipes().map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.includes(defaultRecipe().id));
});

Deno.test("recipeManifest() gives the pipeline the recipe's flip and thresholds, the weights' id", () => {
  for (const r of embedderRecipes()) {
    const m = recipeManifest(MODEL_MANIFEST, r.id);
    assert.equal(m.recipe, r.id);
    assert.equal(m.embedder.id, V1); // one ONNX session per weights, whatever the recipe
    assert.equal(m.embedder.flip, r.flip);
    assert.deepEqual(m.embedder.thresholds, r.thresholds ?? MODEL_MANIFEST.embedder.thresholds);
  }
});

Deno.test("recipeManifest() and defaultRecipe() refuse recipes the manifest cannot run", () => {
  assert.throws(() => recipeManifest(MODEL_MANIFEST, "other@1"), RangeError);
  const int8: ModelManifest = {
    ...MODEL_MANIFEST,
    recipes: {
      default: "x+int8",
      entries: [{ id: "x+int8", embedder: V1, precision: "int8", flip: false }],
    },
  };
  assert.throws(() => recipeManifest(int8, "x+int8"), RangeError);
  assert.throws(
    () => defaultRecipe({ ...MODEL_MANIFEST, recipes: { default: "gone", entries: [] } }),
    RangeError,
  );
});

Deno.test("recipeManifest() of another recipe's view starts from the listed embedder", () => {
  const ids = embedderRecipes().map((r) => r.id);
  for (const a of ids) {
    for (const b of ids) {
      const twice = recipeManifest(recipeManifest(MODEL_MANIFEST, a), b);
      assert.deepEqual(twice, recipeManifest(MODEL_MANIFEST, b));
    }
  }
});
