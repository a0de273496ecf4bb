/**
 * Samples a region of an RGBA raster through an affine map into a normalised NCHW float tensor:
 * the one routine behind detector resizing, the landmark crop and face alignment.
 *
 * @module
 */
import type { Raster } from "../image/raster.ts";
import { type Affine, affineScale, invertAffine } from "./affine.ts";

/** Options for {@linkcode warpToTensor}. */
export interface WarpToTensorOptions {
  /**
   * Output planes: `"rgb"` or `"bgr"` (3 planes in that order) or `"gray"` (1 plane, BT.601 luma).
   * Default: `"rgb"`.
   */
  channels?: "rgb" | "bgr" | "gray";
  /** Subtracted from each 0..255 value. Default: 127.5. */
  mean?: number;
  /** Each value is divided by this after the mean is removed. Default: 128. */
  std?: number;
  /** 0..255 value used outside the image. Default: 127.5 (a neutral gray). */
  fill?: number;
  /** Mirror the output horizontally (test-time augmentation). Default: false. */
  flip?: boolean;
  /** Write into this array instead of allocating (length ≥ planes·width·height). Default: none. */
  out?: Float32Array;
}

/**
 * Box-filters `raster` by an integer `factor` inside `roi` (clamped to the image). Returns the
 * reduced raster and the affine map from reduced pixel centres to source pixel centres.
 */
export function reduceRaster(
  raster: Raster,
  factor: number,
  roi: { x0: number; y0: number; x1: number; y1: number },
): { raster: Raster; toSource: Affine } {
  const k = Math.max(1, Math.floor(factor));
  const x0 = Math.max(0, Math.floor(roi.x0)), y0 = Math.max(0, Math.floor(roi.y0));
  const x1 = Math.min(raster.width, Math.ceil(roi.x1)),
    y1 = Math.min(raster.height, Math.ceil(roi.y1));
  const w = Math.max(1, Math.floor((x1 - x0) / k)), h = Math.max(1, Math.floor((y1 - y0) / k));
  const out = new Uint8Array(w * h * 4);
  const src = raster.data, sw = raster.width;
  const acc = new Float64Array(w * 4);
  for (let oy = 0; oy < h; oy++) {
    acc.fill(0);
    for (let dy = 0; dy < k; dy++) {
      const sy = Math.min(raster.height - 1, y0 + oy * k + dy);
      const row = sy * sw;
      // Columns whose k source pixels are all inside need no clamp (all but the last at most).
      const inside = Math.min(w, Math.floor((sw - x0) / k));
      for (let ox = 0; ox < w; ox++) {
        let r = 0, g = 0, b = 0, a = 0;
        if (ox < inside) {
          for (let p = (row + x0 + ox * k) * 4, end = p + k * 4; p < end; p += 4) {
            r += src[p];
            g += src[p + 1];
            b += src[p + 2];
            a += src[p + 3];
          }
        } else {
          for (let dx = 0; dx < k; dx++) {
            // Clamped like y: a region narrower than k replicates its last column.
            const p = (row + Math.min(sw - 1, x0 + ox * k + dx)) * 4;
            r += src[p];
            g += src[p + 1];
            b += src[p + 2];
            a += src[p + 3];
          }
        }
        const q = ox * 4;
        acc[q] += r;
        acc[q + 1] += g;
        acc[q + 2] += b;
        acc[q + 3] += a;
      }
    }
    const n = k * k;
    const row = oy * w * 4;
    for (let i = 0; i < w * 4; i++) out[row + i] = Math.round(acc[i] / n);
  }
  const half = (k - 1) / 2;
  return {
    raster: { width: w, height: h, data: out },
    toSource: [k, 0, x0 + half, 0, k, y0 + half],
  };
}

function compose(outer: Affine, inner: Affine): Affine {
  // outer ∘ inner
  const [a, b, c, d, e, f] = outer;
  const [A, B, C, D, E, F] = inner;
  return [
    a * A + b * D,
    a * B + b * E,
    a * C + b * F + c,
    d * A + e * D,
    d * B + e * E,
    d * C + e * F + f,
  ];
}

/**
 * Warps `raster` by `toOutput` (source pixel → output pixel, OpenCV `warpAffine` convention:
 * integer coordinates are pixel centres) into a `width`×`height` tensor with bilinear sampling.
 * When the map shrinks by 2× or more the source region is first box-filtered so small outputs do
 * not alias. Transparent pixels are composited on white.
 *
 * @returns A Float32Array in planar (CHW) order.
 * @throws {RangeError} when `toOutput` is singular.
 */
export function warpToTensor(
  raster: Raster,
  toOutput: Affine,
  width: number,
  height: number,
  options: WarpToTensorOptions = {},
): Float32Array {
  const gray = options.channels === "gray";
  const bgr = options.channels === "bgr";
  const mean = options.mean ?? 127.5;
  const inv = 1 / (options.std ?? 128);
  const fill = ((options.fill ?? 127.5) - mean) * inv;
  const planes = gray ? 1 : 3;
  const plane = width * height;
  const out = options.out ?? new Float32Array(planes * plane);

  let src = raster;
  let toSource = invertAffine(toOutput);
  const shrink = 1 / affineScale(toOutput);
  if (shrink >= 2) {
    // Bounding box of the output rectangle in source coordinates.
    const xs: number[] = [], ys: number[] = [];
    for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]]) {
      xs.push(toSource[0] * x + toSource[1] * y + toSource[2]);
      ys.push(toSource[3] * x + toSource[4] * y + toSource[5]);
    }
    const k = Math.floor(shrink);
    const roi = {
      x0: Math.min(...xs) - k,
      y0: Math.min(...ys) - k,
      x1: Math.max(...xs) + k + 1,
      y1: Math.max(...ys) + k + 1,
    };
    if (roi.x1 > 0 && roi.y1 > 0 && roi.x0 < raster.width && roi.y0 < raster.height) {
      const reduced = reduceRaster(raster, k, roi);
      src = reduced.raster;
      toSource = compose(invertAffine(reduced.toSource), toSource);
    }
  }

  const { width: sw, height: sh, data } = src;
  const [a, b, c, d, e, f] = toSource;
  for (let oy = 0; oy < height; oy++) {
    for (let ox0 = 0; ox0 < width; ox0++) {
      const ox = options.flip ? width - 1 - ox0 : ox0;
      const xs = a * ox + b * oy + c;
      const ys = d * ox + e * oy + f;
      const o = oy * width + ox0;
      const x0 = Math.floor(xs), y0 = Math.floor(ys);
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) {
        out[o] = fill;
        if (!gray) out[o + plane] = out[o + 2 * plane] = fill;
        continue;
      }
      const fx = xs - x0, fy = ys - y0;
      let r = 0, g = 0, bl = 0, wsum = 0;
      const p00 = (y0 * sw + x0) * 4, p01 = p00 + sw * 4;
      if (
        x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh &&
        (data[p00 + 3] & data[p00 + 7] & data[p01 + 3] & data[p01 + 7]) === 255
      ) {
        // Interior and opaque (almost every pixel): the four taps below, unrolled, with the same
        // weights added in the same order, so the result is bit-identical to the general case.
        const wy0 = 1 - fy, w00 = (1 - fx) * wy0, w10 = fx * wy0;
        const w01 = (1 - fx) * fy, w11 = fx * fy;
        r = w00 * data[p00] + w10 * data[p00 + 4] + w01 * data[p01] + w11 * data[p01 + 4];
        g = w00 * data[p00 + 1] + w10 * data[p00 + 5] + w01 * data[p01 + 1] +
          w11 * data[p01 + 5];
        bl = w00 * data[p00 + 2] + w10 * data[p00 + 6] + w01 * data[p01 + 2] +
          w11 * data[p01 + 6];
        wsum = w00 + w10 + w01 + w11;
      } else {
        for (let j = 0; j < 2; j++) {
          const yy = y0 + j;
          const wy = j ? fy : 1 - fy;
          for (let i = 0; i < 2; i++) {
            const xx = x0 + i;
            const w = (i ? fx : 1 - fx) * wy;
            if (w === 0) continue;
            if (xx < 0 || yy < 0 || xx >= sw || yy >= sh) {
              const v = fill / inv + mean;
              r += w * v;
              g += w * v;
              bl += w * v;
            } else {
              const p = (yy * sw + xx) * 4;
              const alpha = data[p + 3];
              if (alpha === 255) {
                r += w * data[p];
                g += w * data[p + 1];
                bl += w * data[p + 2];
              } else {
                const t = alpha / 255, white = 255 * (1 - t);
                r += w * (data[p] * t + white);
                g += w * (data[p + 1] * t + white);
                bl += w * (data[p + 2] * t + white);
              }
            }
            wsum += w;
          }
        }
      }
      if (wsum > 0 && wsum < 0.999999) {
        r /= wsum;
        g /= wsum;
        bl /= wsum;
      }
      if (gray) {
        out[o] = (0.299 * r + 0.587 * g + 0.114 * bl - mean) * inv;
      } else {
        out[o] = ((bgr ? bl : r) - mean) * inv;
        out[o + plane] = (g - mean) * inv;
        out[o + 2 * plane] = ((bgr ? r : bl) - mean) * inv;
      }
    }
  }
  return out;
}
