import assert from "node:assert/strict";
import type { Affine } from "../../../lib/align/affine.ts";
import { reduceRaster, warpToTensor } from "../../../lib/align/warp_to_tensor.ts";
import type { Raster } from "../../../lib/image/raster.ts";

const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];
const RAW = { mean: 0, std: 1 }; // tensor values are the 0..255 pixel values

/** A 3×2 opaque raster whose pixels all differ: R = 10·i, G = 100 + i, B = 250 − 7·i. */
function sample(): Raster {
  const data: number[] = [];
  for (let i = 0; i < 6; i++) data.push(10 * i, 100 + i, 250 - 7 * i, 255);
  return { width: 3, height: 2, data: new Uint8Array(data) };
}

function channel(r: Raster, c: number): number[] {
  return Array.from({ length: r.width * r.height }, (_, i) => r.data[4 * i + c]);
}

function rgba(width: number, height: number, pixels: number[][]): Raster {
  return { width, height, data: new Uint8Array(pixels.flat()) };
}

Deno.test("warpToTensor() with the identity map reproduces RGB pixels exactly in planar order", () => {
  const r = sample();
  const out = warpToTensor(r, IDENTITY, 3, 2, RAW);
  assert.equal(out.length, 18);
  assert.deepEqual(Array.from(out), [...channel(r, 0), ...channel(r, 1), ...channel(r, 2)]);
});

Deno.test("warpToTensor() writes BGR planes when asked", () => {
  const r = sample();
  const out = warpToTensor(r, IDENTITY, 3, 2, { ...RAW, channels: "bgr" });
  assert.deepEqual(Array.from(out), [...channel(r, 2), ...channel(r, 1), ...channel(r, 0)]);
});

Deno.test("warpToTensor() writes one BT.601 luma plane for gray", () => {
  const r = sample();
  const out = warpToTensor(r, IDENTITY, 3, 2, { ...RAW, channels: "gray" });
  assert.equal(out.length, 6);
  const [R, G, B] = [channel(r, 0), channel(r, 1), channel(r, 2)];
  assert.deepEqual(
    Array.from(out),
    R.map((_, i) => Math.fround(0.299 * R[i] + 0.587 * G[i] + 0.114 * B[i])),
  );
});

Deno.test("warpToTensor() normalises with (value − mean) / std", () => {
  const r = sample();
  const def = warpToTensor(r, IDENTITY, 3, 2); // defaults: mean 127.5, std 128
  assert.deepEqual(Array.from(def.subarray(0, 6)), channel(r, 0).map((v) => (v - 127.5) / 128));
  const custom = warpToTensor(r, IDENTITY, 3, 2, { mean: 100, std: 4 });
  assert.deepEqual(Array.from(custom.subarray(6, 12)), channel(r, 1).map((v) => (v - 100) / 4));
});

Deno.test("warpToTensor() uses the fill value outside the image", () => {
  const r = sample();
  // Shift right by 2: output columns 0 and 1 and everything past the image are outside.
  const out = warpToTensor(r, [1, 0, 2, 0, 1, 1], 6, 4, { ...RAW, fill: 7, channels: "gray" });
  const row = (y: number) => Array.from(out.subarray(y * 6, y * 6 + 6));
  assert.deepEqual(row(0), [7, 7, 7, 7, 7, 7]);
  assert.deepEqual(row(3), [7, 7, 7, 7, 7, 7]);
  for (const y of [1, 2]) {
    const r2 = row(y);
    assert.deepEqual([r2[0], r2[1], r2[5]], [7, 7, 7]);
    assert.ok(r2.slice(2, 5).every((v) => v !== 7), `row ${y}: ${r2}`);
  }
  const normalised = warpToTensor(r, [1, 0, 10, 0, 1, 0], 2, 1, { fill: 127.5 });
  assert.deepEqual(Array.from(normalised), [0, 0, 0, 0, 0, 0]); // neutral gray is 0 by default
});

Deno.test("warpToTensor() with flip mirrors each row", () => {
  const r = sample();
  const out = warpToTensor(r, IDENTITY, 3, 2, { ...RAW, flip: true });
  const red = channel(r, 0);
  assert.deepEqual(Array.from(out.subarray(0, 6)), [
    red[2],
    red[1],
    red[0],
    red[5],
    red[4],
    red[3],
  ]);
});

Deno.test("warpToTensor() composites transparent pixels on white", () => {
  const r = rgba(3, 1, [[10, 20, 30, 0], [10, 20, 30, 255], [100, 0, 200, 51]]);
  const out = Array.from(warpToTensor(r, IDENTITY, 3, 1, RAW));
  const t = 51 / 255;
  const expected = [
    255,
    10,
    100 * t + 255 * (1 - t),
    255,
    20,
    255 * (1 - t),
    255,
    30,
    200 * t + 255 * (1 - t),
  ];
  out.forEach((v, i) =>
    assert.ok(Math.abs(v - expected[i]) < 1e-4, `${i}: ${v} vs ${expected[i]}`)
  );
});

Deno.test("warpToTensor() interpolates bilinearly between pixel centres", () => {
  const r = rgba(2, 2, [[0, 0, 0, 255], [100, 0, 0, 255], [50, 0, 0, 255], [250, 0, 0, 255]]);
  // Output (0,0) samples source (0.5, 0.5): the mean of the four pixels.
  const centre = warpToTensor(r, [1, 0, -0.5, 0, 1, -0.5], 1, 1, RAW);
  assert.equal(centre[0], 100);
  // Output (0,0) samples source (0.25, 0): 3/4 of pixel 0 and 1/4 of pixel 1.
  const quarter = warpToTensor(r, [1, 0, -0.25, 0, 1, 0], 1, 1, RAW);
  assert.equal(quarter[0], 25);
});

Deno.test("warpToTensor() scales up by sampling source pixel centres (OpenCV convention)", () => {
  const r = rgba(2, 1, [[0, 0, 0, 255], [200, 0, 0, 255]]);
  const out = warpToTensor(r, [2, 0, 0, 0, 2, 0], 3, 1, RAW);
  assert.deepEqual(Array.from(out.subarray(0, 3)), [0, 100, 200]);
});

Deno.test("warpToTensor() box-filters before shrinking so a fine checkerboard becomes gray", () => {
  const size = 64;
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const v = (x + y) % 2 ? 255 : 0;
      data.set([v, v, v, 255], (y * size + x) * 4);
    }
  }
  const out = warpToTensor({ width: size, height: size, data }, [0.25, 0, 0, 0, 0.25, 0], 16, 16, {
    ...RAW,
    channels: "gray",
  });
  // Point sampling at every 4th pixel would see only black (aliasing); the box filter sees 50 %.
  for (let y = 1; y < 16; y++) {
    for (let x = 1; x < 16; x++) {
      assert.ok(Math.abs(out[y * 16 + x] - 128) < 1e-3, `(${x},${y}) = ${out[y * 16 + x]}`);
    }
  }
});

Deno.test("warpToTensor() writes into the given out array", () => {
  const out = new Float32Array(20).fill(-1);
  const result = warpToTensor(sample(), IDENTITY, 3, 2, { ...RAW, channels: "gray", out });
  assert.equal(result, out);
  assert.equal(out[0], Math.fround(0.299 * 0 + 0.587 * 100 + 0.114 * 250));
  assert.equal(out[6], -1); // past planes·width·height: untouched
});

Deno.test("warpToTensor() throws RangeError for a singular map", () => {
  assert.throws(() => warpToTensor(sample(), [0, 0, 0, 0, 0, 0], 2, 2), RangeError);
});

Deno.test("reduceRaster() averages k×k blocks and maps reduced centres to source centres", () => {
  const r = rgba(4, 2, [
    [0, 10, 20, 255],
    [4, 10, 20, 255],
    [100, 0, 0, 255],
    [101, 0, 0, 0],
    [8, 10, 20, 255],
    [12, 10, 20, 255],
    [102, 0, 0, 255],
    [103, 0, 0, 255],
  ]);
  const { raster, toSource } = reduceRaster(r, 2, { x0: 0, y0: 0, x1: 4, y1: 2 });
  assert.equal(raster.width, 2);
  assert.equal(raster.height, 1);
  // (0+4+8+12)/4 = 6; (100+101+102+103)/4 = 101.5 → 102; alpha (255·3 + 0)/4 = 191.25 → 191.
  assert.deepEqual(Array.from(raster.data), [6, 10, 20, 255, 102, 0, 0, 191]);
  assert.deepEqual(toSource, [2, 0, 0.5, 0, 2, 0.5]);
});

Deno.test("reduceRaster() clamps the region to the image and offsets the map", () => {
  const values = Array.from({ length: 36 }, (_, i) => [i, 0, 0, 255]);
  const r = rgba(6, 6, values);
  const { raster, toSource } = reduceRaster(r, 3, { x0: 2.5, y0: -4, x1: 99, y1: 99 });
  // x from 2 to 6 (one 3-wide block: columns 2..4), y from 0 to 6 (two blocks).
  assert.equal(raster.width, 1);
  assert.equal(raster.height, 2);
  const mean = (ys: number[]) =>
    ys.flatMap((y) => [2, 3, 4].map((x) => y * 6 + x)).reduce((a, b) => a + b) / 9;
  assert.deepEqual([raster.data[0], raster.data[4]], [mean([0, 1, 2]), mean([3, 4, 5])]);
  assert.deepEqual(toSource, [3, 0, 3, 0, 3, 1]);
  assert.deepEqual(reduceRaster(r, 0.5, { x0: 0, y0: 0, x1: 6, y1: 6 }).raster.data, r.data); // k ≥ 1
});

Deno.test("reduceRaster() replicates the edge when the region is narrower than the factor", () => {
  // A 1-pixel-wide column (10 above 30) reduced by 2: rows are clamped to the image, columns must
  // be too. Reading past the row end picks the next row's pixel, then bytes past the buffer
  // (undefined → NaN → 0): the result is transparent black instead of the column's mean.
  const r = rgba(1, 2, [[10, 10, 10, 255], [30, 30, 30, 255]]);
  const { raster } = reduceRaster(r, 2, { x0: 0, y0: 0, x1: 1, y1: 2 });
  assert.deepEqual(Array.from(raster.data), [20, 20, 20, 255]);
});

Deno.test("warpToTensor() shrinks a one-pixel-wide black column to black", () => {
  // Reached by the detector on images narrower than its shrink factor (e.g. 1×1000): the box
  // filter reads past the column (see the reduceRaster() test above), the last block becomes
  // transparent and is composited on white. (Black fill, so samples near the border stay black.)
  const column: Raster = {
    width: 1,
    height: 16,
    data: new Uint8Array(64).map((_, i) => (i % 4 === 3 ? 255 : 0)),
  };
  const out = warpToTensor(column, [0.25, 0, 0, 0, 0.25, 0], 1, 4, {
    ...RAW,
    channels: "gray",
    fill: 0,
  });
  assert.deepEqual(Array.from(out), [0, 0, 0, 0]);
});
