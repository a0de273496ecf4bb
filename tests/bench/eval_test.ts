import assert from "node:assert/strict";
import { evaluatePairs, foldBounds, parsePairs, scorePairs } from "../../bench/eval.ts";
import { dataDir } from "../_data.ts";

Deno.test("parsePairs() reads a,b,same rows and refuses a wrong header", () => {
  assert.deepEqual(parsePairs("a,b,same\nx/1.jpg,x/2.jpg,1\ny/1.jpg,z/1.jpg,0\n"), [
    { a: "x/1.jpg", b: "x/2.jpg", same: true },
    { a: "y/1.jpg", b: "z/1.jpg", same: false },
  ]);
  assert.throws(() => parsePairs("left,right,label\n"), /expected header/);
  assert.throws(() => parsePairs("a,b,same\nx,y,2\n"), /bad row 2/);
});

Deno.test("foldBounds() uses 600-row LFW folds for ≥1200 pairs and 10 folds below", () => {
  assert.deepEqual(foldBounds(1394), [[0, 600], [600, 1394]]);
  assert.equal(foldBounds(6000).length, 10);
  const small = foldBounds(600);
  assert.equal(small.length, 10);
  assert.deepEqual(small[0], [0, 60]);
  assert.deepEqual(small[9], [540, 600]);
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
    "the pipeline reaches ≥ 99.0% on the dev LFW pairs (rows 0–599) with no image lacking a face",
  sanitizeResources: false,
  async fn() {
    const root = `${dataDir()}/faces`;
    const pairs = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`)).slice(0, 600);
    const report = await evaluatePairs(root, pairs);
    console.error(
      `dev LFW: accuracy ${report.accuracy} ± ${report.accuracy_std}, auc ${report.auc}, ` +
        `no_face ${report.no_face}, triplet loss ${report.triplet_loss.mean}`,
    );
    assert.equal(report.no_face, 0, `images without a face: ${report.no_face_images.join(", ")}`);
    assert.ok(report.accuracy >= 0.99, `accuracy ${report.accuracy} < 0.99`);
    assert.ok(report.auc >= 0.995, `auc ${report.auc} < 0.995`);
  },
});
