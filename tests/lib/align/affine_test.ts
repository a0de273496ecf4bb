import assert from "node:assert/strict";
import { type Affine, affineScale, applyAffine, invertAffine } from "../../../lib/align/affine.ts";

Deno.test("applyAffine() computes a·x + b·y + c and d·x + e·y + f", () => {
  assert.deepEqual(applyAffine([1, 0, 0, 0, 1, 0], 3, -4), [3, -4]);
  assert.deepEqual(applyAffine([2, 3, 5, 7, 11, 13], 1, 2), [2 + 6 + 5, 7 + 22 + 13]);
  assert.deepEqual(applyAffine([0, -1, 10, 1, 0, 20], 2, 3), [7, 22]);
});

/** Exact comparison that does not care about the sign of zero. */
function assertExact(actual: Affine, expected: Affine): void {
  assert.ok(actual.every((v, i) => v === expected[i]), `${actual} !== ${expected}`);
}

Deno.test("invertAffine() inverts scale plus translation exactly", () => {
  assertExact(invertAffine([2, 0, 1, 0, 2, 3]), [0.5, 0, -0.5, 0, 0.5, -1.5]);
  assertExact(invertAffine([1, 0, 0, 0, 1, 0]), [1, 0, 0, 0, 1, 0]);
  assertExact(invertAffine([4, 0, -8, 0, 0.5, 2]), [0.25, 0, 2, 0, 2, -4]);
});

Deno.test("invertAffine() undoes a rotation, a shear and a reflection", () => {
  const maps: Affine[] = [
    [0, -1, 10, 1, 0, 20], // 90° rotation + translation
    [1, 2, -3, 0, 1, 4], // shear
    [-1, 0, 7, 0, 1, 0], // mirror
    [4, 1, 2, -2, 3, 8],
  ];
  for (const m of maps) {
    const inv = invertAffine(m);
    for (const [x, y] of [[0, 0], [1, 0], [0, 1], [5, -7], [-2.5, 3.25]]) {
      const [u, v] = applyAffine(m, x, y);
      const [bx, by] = applyAffine(inv, u, v);
      assert.ok(Math.abs(bx - x) < 1e-12 && Math.abs(by - y) < 1e-12, `${m} at ${x},${y}`);
    }
  }
});

Deno.test("invertAffine() throws RangeError on a singular or non-finite map", () => {
  assert.throws(() => invertAffine([0, 0, 1, 0, 0, 1]), RangeError);
  assert.throws(() => invertAffine([1, 2, 0, 2, 4, 0]), RangeError); // rank 1
  assert.throws(() => invertAffine([NaN, 0, 0, 0, 1, 0]), RangeError);
  assert.throws(() => invertAffine([Infinity, 0, 0, 0, 1, 0]), RangeError);
});

Deno.test("affineScale() is the scale of a similarity whatever its rotation", () => {
  assert.equal(affineScale([1, 0, 5, 0, 1, 6]), 1);
  assert.equal(affineScale([0, -3, 0, 3, 0, 0]), 3);
  const s = 2.5, t = 0.7;
  const m: Affine = [s * Math.cos(t), -s * Math.sin(t), 1, s * Math.sin(t), s * Math.cos(t), 2];
  assert.ok(Math.abs(affineScale(m) - s) < 1e-12);
});
