import assert from "node:assert/strict";
import { cropRaster } from "../../../lib/image/mod.ts";
import { labelled, reds } from "./_fixtures.ts";

// 3x3, red channel 1..9 row by row.
const grid = labelled(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9]);

Deno.test("cropRaster() copies the pixels inside the rectangle", () => {
  const out = cropRaster(grid, { x: 1, y: 0, width: 2, height: 2 });
  assert.deepEqual(reds(out), [[2, 3], [5, 6]]);
  assert.equal(out.data.length, 2 * 2 * 4);
});

Deno.test("cropRaster() clamps a rectangle that sticks out of the raster", () => {
  assert.deepEqual(reds(cropRaster(grid, { x: -5, y: 2, width: 7, height: 10 })), [[7, 8]]);
  assert.deepEqual(reds(cropRaster(grid, { x: -1, y: -1, width: 99, height: 99 })), reds(grid));
});

Deno.test("cropRaster() keeps every pixel a fractional rectangle touches", () => {
  assert.deepEqual(reds(cropRaster(grid, { x: 0.5, y: 1.2, width: 1, height: 0.5 })), [[4, 5]]);
});

Deno.test("cropRaster() throws RangeError when the clamped area is empty", () => {
  for (
    const rect of [
      { x: 3, y: 0, width: 2, height: 2 },
      { x: -4, y: 0, width: 2, height: 2 },
      { x: 0, y: 0, width: 0, height: 2 },
      { x: 0, y: 0, width: 2, height: -1 },
      { x: NaN, y: 0, width: 2, height: 2 },
      { x: 0, y: 0, width: Infinity, height: 2 },
    ]
  ) {
    assert.throws(() => cropRaster(grid, rect), RangeError, JSON.stringify(rect));
  }
});
