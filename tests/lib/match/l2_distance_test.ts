import assert from "node:assert/strict";
import { cosineSimilarity, l2Distance } from "../../../lib/match/mod.ts";
import { randomUnitVectors, seededRandom } from "./_random.ts";

Deno.test("l2Distance() is 5 between the ends of a 3-4-5 triangle", () => {
  assert.equal(l2Distance([0, 0], [3, 4]), 5);
  assert.equal(l2Distance(new Float32Array([1, 1, 1]), new Float32Array([1, 1, 1])), 0);
});

Deno.test("l2Distance() is symmetric and accepts Float32Array and plain arrays alike", () => {
  const a = new Float32Array([0.5, -0.25, 2]);
  const b = [1, 0.75, -1];
  assert.equal(l2Distance(a, b), l2Distance(b, a));
  assert.equal(l2Distance(a, b), Math.sqrt(0.25 + 1 + 9));
});

Deno.test("l2Distance() is √2 between orthogonal unit vectors and 2 between opposite ones", () => {
  assert.equal(l2Distance([1, 0], [0, 1]), Math.SQRT2);
  assert.equal(l2Distance([0, 1], [0, -1]), 2);
});

Deno.test("l2Distance() of unit vectors satisfies d² = 2 − 2·cos", () => {
  const random = seededRandom(1);
  const v = randomUnitVectors(20, 128, random);
  for (let i = 0; i < 19; i++) {
    const a = v.subarray(i * 128, (i + 1) * 128), b = v.subarray((i + 1) * 128, (i + 2) * 128);
    const d = l2Distance(a, b);
    assert.ok(Math.abs(d * d - (2 - 2 * cosineSimilarity(a, b))) < 1e-6);
  }
});

Deno.test("l2Distance() is 0 between two empty vectors", () => {
  assert.equal(l2Distance([], []), 0);
});

Deno.test("l2Distance() throws RangeError when the dimensions differ", () => {
  assert.throws(() => l2Distance([1, 2], [1, 2, 3]), {
    name: "RangeError",
    message: "Cannot compute L2 distance: dimensions differ (2 vs 3)",
  });
});
