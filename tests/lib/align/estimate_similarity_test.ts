import assert from "node:assert/strict";
import { type Affine, applyAffine } from "../../../lib/align/affine.ts";
import { estimateSimilarity, type Point } from "../../../lib/align/estimate_similarity.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";

function similarity(scale: number, angle: number, tx: number, ty: number): Affine {
  const c = scale * Math.cos(angle), s = scale * Math.sin(angle);
  return [c, -s, tx, s, c, ty];
}

function assertAffine(actual: Affine, expected: Affine, tolerance = 1e-9): void {
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance),
    `${JSON.stringify(actual)} is not within ${tolerance} of ${JSON.stringify(expected)}`,
  );
}

const TEMPLATE = MODEL_MANIFEST.embedder.template as Point[];

Deno.test("estimateSimilarity() returns the identity for identical point sets", () => {
  assertAffine(estimateSimilarity(TEMPLATE, TEMPLATE), [1, 0, 0, 0, 1, 0], 0);
  const square: Point[] = [[0, 0], [2, 0], [0, 2]];
  assertAffine(estimateSimilarity(square, square), [1, 0, 0, 0, 1, 0], 0);
});

Deno.test("estimateSimilarity() recovers a pure translation and a pure scale exactly", () => {
  const src: Point[] = [[0, 0], [4, 0], [0, 4], [4, 4]];
  assertAffine(
    estimateSimilarity(src, src.map(([x, y]) => [x + 3, y - 5])),
    [1, 0, 3, 0, 1, -5],
    0,
  );
  assertAffine(estimateSimilarity(src, src.map(([x, y]) => [2 * x, 2 * y])), [2, 0, 0, 0, 2, 0], 0);
});

Deno.test("estimateSimilarity() recovers a 90° rotation with scale 2 (the documented example)", () => {
  assertAffine(
    estimateSimilarity([[0, 0], [1, 0]], [[10, 10], [10, 12]]),
    [0, -2, 10, 2, 0, 10],
    0,
  );
});

Deno.test("estimateSimilarity() recovers a known rotation, scale and translation", () => {
  const src: Point[] = [[1, 2], [7, -3], [4, 9], [-5, 0.5], [3, 3]];
  for (const [s, a, tx, ty] of [[0.5, 0.3, 10, -4], [3, -2.1, -100, 55], [1, Math.PI, 0, 0]]) {
    const m = similarity(s, a, tx, ty);
    const dst = src.map(([x, y]) => applyAffine(m, x, y));
    assertAffine(estimateSimilarity(src, dst), m);
  }
});

Deno.test("estimateSimilarity() maps five landmarks back onto the ArcFace template noise-free", () => {
  // A face in a photo: the template turned by 12°, scaled ×3.2 and moved; alignment undoes it.
  const toPhoto = similarity(3.2, (12 * Math.PI) / 180, 410, 233);
  const photo = TEMPLATE.map(([x, y]) => applyAffine(toPhoto, x, y));
  const toTemplate = estimateSimilarity(photo, TEMPLATE);
  const expected = similarity(1 / 3.2, (-12 * Math.PI) / 180, 0, 0);
  const [x0, y0] = applyAffine(expected, 410, 233);
  assertAffine(toTemplate, [expected[0], expected[1], -x0, expected[3], expected[4], -y0]);
  photo.forEach(([x, y], i) => {
    const [u, v] = applyAffine(toTemplate, x, y);
    assert.ok(Math.abs(u - TEMPLATE[i][0]) < 1e-9 && Math.abs(v - TEMPLATE[i][1]) < 1e-9);
  });
});

Deno.test("estimateSimilarity() refuses a mirror, whose best similarity without reflection has zero scale", () => {
  // dst mirrors src about the y axis: no rotation matches, the least-squares similarity collapses.
  const src: Point[] = [[-1, 0], [1, 0], [0, 1], [0, -1]];
  assert.throws(() => estimateSimilarity(src, src.map(([x, y]) => [-x, y])), {
    name: "RangeError",
    message: /coincide/,
  });
});

Deno.test("estimateSimilarity() throws RangeError on degenerate input", () => {
  assert.throws(() => estimateSimilarity([], []), RangeError);
  assert.throws(() => estimateSimilarity([[0, 0]], [[1, 1]]), RangeError);
  assert.throws(() => estimateSimilarity([[0, 0], [1, 1]], [[0, 0]]), RangeError);
  assert.throws(() => estimateSimilarity([[2, 3], [2, 3], [2, 3]], [[0, 0], [1, 0], [0, 1]]), {
    name: "RangeError",
    message: /coincide/,
  });
});
