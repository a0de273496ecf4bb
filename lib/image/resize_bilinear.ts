import type { Raster } from "./raster.ts";

/**
 * Resizes a raster. Each axis is filtered on its own: bilinear interpolation (pixel centres
 * aligned, edges clamped) when that axis is enlarged or shrunk by at most 2x, and area averaging
 * (each output pixel is the coverage-weighted mean of the source pixels under it) when it is
 * shrunk by more than 2x. Plain bilinear would then skip source pixels and alias fine detail,
 * which loses small faces in large photos. Colour is weighted by alpha (premultiplied), so
 * transparent pixels do not bleed their colour into the result. Pure.
 *
 * @param raster The source raster.
 * @param width Output width, a positive integer.
 * @param height Output height, a positive integer.
 * @returns A new raster of `width` x `height`.
 * @throws {RangeError} When `width` or `height` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resizeBilinear } from "./resize_bilinear.ts";
 * // A 4x1 row 0, 0, 255, 255 (gray, opaque) shrunk to 2x1 keeps both halves.
 * const px = [0, 0, 255, 255].flatMap((v) => [v, v, v, 255]);
 * const small = resizeBilinear({ width: 4, height: 1, data: new Uint8Array(px) }, 2, 1);
 * assert.ok(small.data[0] === 0 && small.data[4] === 255);
 * ```
 */
export function resizeBilinear(raster: Raster, width: number, height: number): Raster {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot resize raster: ${name} must be a positive integer, got ${v}`);
    }
  }
  const { width: sw, height: sh, data } = raster;
  const xs = weights(sw, width);
  const ys = weights(sh, height);
  // Horizontal pass into premultiplied floats: width x sh.
  const mid = new Float32Array(width * sh * 4);
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (const [i, wt] of xs[x]) {
        const s = (row + i) * 4;
        const wa = wt * data[s + 3];
        r += wa * data[s];
        g += wa * data[s + 1];
        b += wa * data[s + 2];
        a += wa;
      }
      const m = (y * width + x) * 4;
      mid[m] = r;
      mid[m + 1] = g;
      mid[m + 2] = b;
      mid[m + 3] = a;
    }
  }
  // Vertical pass, then un-premultiply.
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (const [j, wt] of ys[y]) {
        const m = (j * width + x) * 4;
        r += wt * mid[m];
        g += wt * mid[m + 1];
        b += wt * mid[m + 2];
        a += wt * mid[m + 3];
      }
      const o = (y * width + x) * 4;
      if (a > 0) {
        out[o] = Math.round(r / a);
        out[o + 1] = Math.round(g / a);
        out[o + 2] = Math.round(b / a);
      }
      out[o + 3] = Math.round(a);
    }
  }
  return { width, height, data: out };
}

/** Per output coordinate, the source indices and weights (summing to 1) along one axis. */
function weights(src: number, dst: number): [number, number][][] {
  const scale = src / dst;
  const table: [number, number][][] = [];
  for (let d = 0; d < dst; d++) {
    if (scale > 2) {
      const start = d * scale;
      const end = start + scale;
      const taps: [number, number][] = [];
      for (let i = Math.floor(start); i < Math.min(src, Math.ceil(end)); i++) {
        const cover = Math.min(end, i + 1) - Math.max(start, i);
        if (cover > 0) taps.push([i, cover / scale]);
      }
      table.push(taps);
    } else {
      const pos = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), src - 1);
      const i0 = Math.floor(pos);
      const t = pos - i0;
      table.push(t > 0 ? [[i0, 1 - t], [i0 + 1, t]] : [[i0, 1]]);
    }
  }
  return table;
}
