/**
 * An decoded image in memory: 8-bit RGBA, row-major, no padding (`data.length === width*height*4`).
 * Alpha is kept as decoded; the pipeline composites it on white when it reads pixels.
 */
export interface Raster {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** RGBA bytes, `width * height * 4` long. */
  data: Uint8Array;
}
