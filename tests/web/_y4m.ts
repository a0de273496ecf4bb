/**
 * A tiny YUV4MPEG2 (`.y4m`) writer for Chromium's fake camera
 * (`--use-file-for-fake-video-capture`): 4:2:0 (`C420jpeg`), full-range BT.601, the same frame
 * repeated.
 *
 * @module
 */
import type { Raster } from "../../lib/image/mod.ts";

/**
 * Encodes `raster` (cropped to even dimensions) as a `.y4m` video of `frames` identical frames.
 *
 * @param raster RGBA pixels.
 * @param frames Number of frames. Default: 2.
 * @returns The file bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { y4m } from "./_y4m.ts";
 * const white = { width: 2, height: 2, data: new Uint8Array(16).fill(255) };
 * const bytes = y4m(white, 1);
 * const header = "YUV4MPEG2 W2 H2 F30:1 Ip A1:1 C420jpeg\nFRAME\n";
 * assert.equal(new TextDecoder().decode(bytes.subarray(0, header.length)), header);
 * assert.deepEqual([...bytes.subarray(header.length)], [255, 255, 255, 255, 128, 128]);
 * ```
 */
export function y4m(raster: Raster, frames = 2): Uint8Array {
  const w = raster.width & ~1, h = raster.height & ~1;
  const { data } = raster;
  const ySize = w * h, cSize = (w / 2) * (h / 2);
  const frame = new Uint8Array(ySize + 2 * cSize);
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * raster.width + x) * 4;
      frame[y * w + x] = clamp(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
    }
  }
  for (let y = 0; y < h / 2; y++) {
    for (let x = 0; x < w / 2; x++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const i = ((2 * y + dy) * raster.width + 2 * x + dx) * 4;
        r += data[i] / 4;
        g += data[i + 1] / 4;
        b += data[i + 2] / 4;
      }
      const o = y * (w / 2) + x;
      frame[ySize + o] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
      frame[ySize + cSize + o] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
    }
  }
  const header = new TextEncoder().encode(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\n`);
  const marker = new TextEncoder().encode("FRAME\n");
  const out = new Uint8Array(header.length + frames * (marker.length + frame.length));
  out.set(header);
  for (let f = 0, at = header.length; f < frames; f++) {
    out.set(marker, at);
    out.set(frame, at + marker.length);
    at += marker.length + frame.length;
  }
  return out;
}
