import type { Raster } from "./raster.ts";

/**
 * An EXIF orientation: how the stored pixels must be transformed to display upright.
 * 1 upright, 2 mirrored, 3 rotated 180°, 4 flipped vertically, 5 transposed, 6 needs a 90°
 * clockwise turn, 7 transversed, 8 needs a 90° counter-clockwise turn.
 */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/**
 * Turns a raster as stored into the raster as it should be displayed, per its EXIF orientation.
 * Orientations 5 to 8 swap width and height. Pure; orientation 1 returns a copy.
 *
 * @param raster The stored pixels.
 * @param orientation The EXIF Orientation value, 1 to 8.
 * @returns A new upright raster.
 * @throws {RangeError} When `orientation` is not an integer from 1 to 8.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Orientation, orientRaster } from "./orient_raster.ts";
 * // A 2x1 image whose red channel holds 1 and 2; orientation 6 turns it clockwise to 1x2.
 * const raster = { width: 2, height: 1, data: new Uint8Array([1, 0, 0, 255, 2, 0, 0, 255]) };
 * const orientation: Orientation = 6;
 * const upright = orientRaster(raster, orientation);
 * assert.ok(upright.width === 1 && upright.height === 2);
 * assert.ok(upright.data[0] === 1 && upright.data[4] === 2);
 * ```
 */
export function orientRaster(raster: Raster, orientation: Orientation): Raster {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new RangeError(`Cannot orient raster: orientation must be 1 to 8, got ${orientation}`);
  }
  const { width: w, height: h, data } = raster;
  const swap = orientation >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  // Source coordinates as sx = ax*x + bx*y + cx, sy = ay*x + by*y + cy for output (x, y).
  const [ax, bx, cx, ay, by, cy] = ({
    1: [1, 0, 0, 0, 1, 0],
    2: [-1, 0, w - 1, 0, 1, 0],
    3: [-1, 0, w - 1, 0, -1, h - 1],
    4: [1, 0, 0, 0, -1, h - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, h - 1],
    7: [0, -1, w - 1, -1, 0, h - 1],
    8: [0, -1, w - 1, 1, 0, 0],
  } as const)[orientation];
  const out = new Uint8Array(outW * outH * 4);
  // Copy whole pixels as 32-bit words (a copy first when the view is not 4-byte aligned).
  const src = data.byteOffset % 4 === 0 ? data : data.slice();
  const src32 = new Uint32Array(src.buffer, src.byteOffset, w * h);
  const out32 = new Uint32Array(out.buffer);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++, o++) {
      out32[o] = src32[(ay * x + by * y + cy) * w + (ax * x + bx * y + cx)];
    }
  }
  return { width: outW, height: outH, data: out };
}
