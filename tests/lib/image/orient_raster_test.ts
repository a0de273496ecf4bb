import assert from "node:assert/strict";
import { type Orientation, orientRaster } from "../../../lib/image/mod.ts";
import { labelled, reds } from "./_fixtures.ts";

// Stored 2x3 image, red channel:   1 2
//                                  3 4
//                                  5 6
const stored = labelled(2, 3, [1, 2, 3, 4, 5, 6]);

const expected: Record<Orientation, number[][]> = {
  1: [[1, 2], [3, 4], [5, 6]],
  2: [[2, 1], [4, 3], [6, 5]],
  3: [[6, 5], [4, 3], [2, 1]],
  4: [[5, 6], [3, 4], [1, 2]],
  5: [[1, 3, 5], [2, 4, 6]],
  6: [[5, 3, 1], [6, 4, 2]],
  7: [[6, 4, 2], [5, 3, 1]],
  8: [[2, 4, 6], [1, 3, 5]],
};

for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8] as const) {
  Deno.test(`orientRaster() turns a 2x3 raster upright for EXIF orientation ${orientation}`, () => {
    const out = orientRaster(stored, orientation);
    assert.deepEqual(reds(out), expected[orientation]);
    assert.equal(out.data.length, out.width * out.height * 4);
    assert.ok(out.data.every((v, i) => i % 4 === 0 || (i % 4 === 3 ? v === 255 : v === 0)));
  });
}

Deno.test("orientRaster() returns a copy for orientation 1 and leaves its input alone", () => {
  const before = stored.data.slice();
  const out = orientRaster(stored, 1);
  assert.notEqual(out.data, stored.data);
  assert.deepEqual(stored.data, before);
});

Deno.test("orientRaster() undoes orientation 6 with orientation 8", () => {
  assert.deepEqual(reds(orientRaster(orientRaster(stored, 6), 8)), expected[1]);
});

Deno.test("orientRaster() reads a raster whose bytes are not 4-byte aligned", () => {
  const backing = new Uint8Array(stored.data.length + 1);
  backing.set(stored.data, 1);
  const out = orientRaster({ ...stored, data: backing.subarray(1) }, 6);
  assert.deepEqual(reds(out), expected[6]);
});

Deno.test("orientRaster() throws RangeError for an orientation outside 1 to 8", () => {
  for (const bad of [0, 9, 1.5, NaN]) {
    assert.throws(() => orientRaster(stored, bad as Orientation), RangeError);
  }
});
