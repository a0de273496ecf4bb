import assert from "node:assert/strict";
import { evaluatePairs, parsePairs, scorePairs } from "../../bench/eval.ts";
import { dataDir } from "../_data.ts";
import { defaultRecipe, MODEL_MANIFEST, recipeManifest } from "../../models/manifest.ts";

/** The recipe new collections get (flip or not) and its calibrated verify threshold. */
const RECIPE = defaultRecipe();
const RECIPE_THRESHOLD = recipeManifest(MODEL_MANIFEST, RECIPE.id).embedder.thresholds.verify!;

Deno.test("parsePairs() reads a,b,same rows and refuses a wrong header", () => {
  assert.deepEqual(parsePairs("a,b,same\nx/1.jpg,x/2.jpg,1\ny/1.jpg,z/1.jpg,0\n"), [
    { a: "x/1.jpg", b: "x/2.jpg", same: true },
    { a: "y/1.jpg", b: "z/1.jpg", same: false },
  ]);
  assert.throws(() => parsePairs("left,right,label\n"), /expected header/);
  assert.throws(() => parsePairs("a,b,same\nx,y,2\n"), /bad row 2/);
});

Deno.test("scorePairs() uses 600-row LFW folds for ≥1200 pairs and 10 folds below", () => {
  const pairs = (n: number) => {
    const same = Array.from({ length: n }, (_, i) => i % 2 === 0);
    return { d: same.map((s) => (s ? 0.5 : 1.5)), same };
  };
  const big = pairs(1394);
  assert.equal(scorePairs(big.d, big.same).foldAccuracies.length, 2);
  assert.equal(scorePairs(pairs(6000).d, pairs(6000).same).foldAccuracies.length, 10);
  const small = pairs(600);
  assert.equal(scorePairs(small.d, small.same).foldAccuracies.length, 10);
});

Deno.test("scorePairs() counts a pair without a face as an error", () => {
  // 20 pairs, perfectly separable except one same pair lacking a face (NaN).
  const d = [...Array(10).fill(0.5), ...Array(10).fill(1.5)];
  const same = [...Array(10).fill(true), ...Array(10).fill(false)];
  assert.equal(scorePairs(d, same).accuracy, 1);
  d[0] = NaN;
  assert.equal(scorePairs(d, same).accuracy, 0.95);
});

Deno.test({
  name:
    "the default recipe reaches ≥ 99.0% on the dev LFW pairs (rows 0–599) with no image lacking a face",
  sanitizeResources: false,
  async fn() {
    const root = `${dataDir()}/faces`;
    const pairs = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`)).slice(0, 600);
    const report = await evaluatePairs(root, pairs, { flip: RECIPE.flip });
    console.error(
      `dev LFW: accuracy ${report.accuracy} ± ${report.accuracy_std}, auc ${report.auc}, ` +
        `no_face ${report.no_face}, triplet loss ${report.triplet_loss.mean}`,
    );
    assert.equal(report.no_face, 0, `images without a face: ${report.no_face_images.join(", ")}`);
    assert.ok(report.accuracy >= 0.99, `accuracy ${report.accuracy} < 0.99`);
    assert.ok(report.auc >= 0.995, `auc ${report.auc} < 0.995`);
  },
});

Deno.test({
  name: "the default recipe reaches ≥ 95% out of sample on dev rows 600–1393 (web photos + ORL) " +
    "at its calibrated verify threshold",
  sanitizeResources: false,
  async fn() {
    // The thresholds were calibrated on rows 0–599; these rows were not used (BENCHMARKS.md →
    // Accuracy has both recipes' figures: one image without a face, deepface_Scarlett/img47.jpg).
    const root = `${dataDir()}/faces`;
    const pairs = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`)).slice(600);
    assert.equal(pairs.length, 794);
    const threshold = RECIPE_THRESHOLD;
    const report = await evaluatePairs(root, pairs, { threshold, flip: RECIPE.flip });
    console.error(
      `dev rows 600+: accuracy at ${threshold} ${report.at_threshold?.accuracy}, k-fold ` +
        `${report.accuracy} ± ${report.accuracy_std}, auc ${report.auc}, no_face ${report.no_face}`,
    );
    assert.ok(report.no_face <= 2, `images without a face: ${report.no_face_images.join(", ")}`);
    assert.ok(report.at_threshold!.accuracy >= 0.95, `accuracy ${report.at_threshold!.accuracy}`);
    assert.ok(report.accuracy >= 0.95, `k-fold accuracy ${report.accuracy} < 0.95`);
    assert.ok(report.auc >= 0.99, `auc ${report.auc} < 0.99`);
  },
});
