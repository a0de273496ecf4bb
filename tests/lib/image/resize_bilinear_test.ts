import assert from "node:assert/strict";
import { type Raster, resizeBilinear } from "../../../lib/image/mod.ts";
import { labelled, reds } from "./_fixtures.ts";

function gray(width: number, height: number, values: number[]): Raster {
  return {
    width,
    height,
    data: new Uint8Array(values.flatMap((v) => [v, v, v, 255])),
  };
}

Deno.test("resizeBilinear() returns the same pixels at the same size", () => {
  const src = labelled(3, 2, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(resizeBilinear(src, 3, 2).data, src.data);
});

Deno.test("resizeBilinear() interpolates between pixel centres when enlarging 2x", () => {
  const out = resizeBilinear(gray(2, 1, [0, 100]), 4, 1);
  // Output centres map to source x = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  assert.deepEqual(reds(out), [[0, 25, 75, 100]]);
});

Deno.test("resizeBilinear() averages pixel pairs when shrinking exactly 2x", () => {
  const out = resizeBilinear(gray(4, 2, [0, 100, 200, 40, 10, 30, 60, 80]), 2, 1);
  assert.deepEqual(reds(out), [[35, 95]]);
});

Deno.test("resizeBilinear() area-averages when shrinking by more than 2x so thin lines survive", () => {
  // An 8x1 row with one bright pixel: area averaging keeps it as 255/4 in its output cell,
  // where bilinear sampling at 4x would land between pixels and could miss it entirely.
  const out = resizeBilinear(gray(8, 1, [0, 0, 0, 0, 0, 0, 255, 0]), 2, 1);
  assert.deepEqual(reds(out), [[0, 64]]);
  const big = resizeBilinear(gray(9, 9, new Array(81).fill(90)), 2, 2);
  assert.ok(big.data.every((v, i) => (i % 4 === 3 ? v === 255 : v === 90)));
});

Deno.test("resizeBilinear() weights colour by alpha so transparent pixels do not bleed", () => {
  const src: Raster = {
    width: 2,
    height: 1,
    data: new Uint8Array([0, 0, 0, 0, 200, 100, 50, 255]),
  };
  const out = resizeBilinear(src, 1, 1);
  assert.deepEqual(Array.from(out.data), [200, 100, 50, 128]);
});

Deno.test("resizeBilinear() handles mixed scales per axis and 1-pixel sources", () => {
  const out = resizeBilinear(gray(1, 1, [7]), 3, 5);
  assert.equal(out.data.length, 3 * 5 * 4);
  assert.ok(out.data.every((v, i) => (i % 4 === 3 ? v === 255 : v === 7)));
  const tall = resizeBilinear(gray(10, 2, new Array(20).fill(0).map((_, i) => i * 10)), 2, 4);
  assert.equal(tall.width, 2);
  assert.equal(tall.height, 4);
});

Deno.test("resizeBilinear() throws RangeError for a non-positive or fractional size", () => {
  const src = gray(2, 2, [1, 2, 3, 4]);
  for (const [w, h] of [[0, 1], [1, 0], [1.5, 1], [-1, 2], [NaN, 1]]) {
    assert.throws(() => resizeBilinear(src, w, h), RangeError);
  }
});
