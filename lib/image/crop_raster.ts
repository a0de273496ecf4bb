import type { Raster } from "./raster.ts";

/** A rectangle in pixel coordinates; fractional values are allowed. */
export interface CropRect {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width (must be > 0). */
  width: number;
  /** Height (must be > 0). */
  height: number;
}

/**
 * Copies the part of a raster inside a rectangle. The rectangle is widened to whole pixels
 * (every pixel it touches is kept: `floor` of the left/top edge, `ceil` of the right/bottom edge)
 * and clamped to the raster, so a face box that sticks out of the image is cut at the border.
 *
 * @param raster The source raster.
 * @param rect The area to keep.
 * @returns A new raster of the clamped area.
 * @throws {RangeError} When a coordinate is not finite or the clamped area is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cropRaster, type CropRect } from "./crop_raster.ts";
 * const raster = { width: 4, height: 4, data: new Uint8Array(4 * 4 * 4) };
 * const box: CropRect = { x: -1, y: 2, width: 3, height: 9 }; // sticks out left and below
 * const part = cropRaster(raster, box);
 * assert.ok(part.width === 2 && part.height === 2);
 * ```
 */
export function cropRaster(raster: Raster, rect: CropRect): Raster {
  const { x, y, width, height } = rect;
  if (![x, y, width, height].every(Number.isFinite)) {
    throw new RangeError(`Cannot crop raster: non-finite rectangle ${JSON.stringify(rect)}`);
  }
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(raster.width, Math.ceil(x + width));
  const y1 = Math.min(raster.height, Math.ceil(y + height));
  if (width <= 0 || height <= 0 || x1 <= x0 || y1 <= y0) {
    throw new RangeError(
      `Cannot crop raster: rectangle ${JSON.stringify(rect)} is empty within ` +
        `${raster.width}x${raster.height}`,
    );
  }
  const outW = x1 - x0;
  const outH = y1 - y0;
  const out = new Uint8Array(outW * outH * 4);
  for (let row = 0; row < outH; row++) {
    const start = ((y0 + row) * raster.width + x0) * 4;
    out.set(raster.data.subarray(start, start + outW * 4), row * outW * 4);
  }
  return { width: outW, height: outH, data: out };
}
