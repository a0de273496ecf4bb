import { readExifOrientation } from "./_exif.ts";
import { readJpegHeader, readPngHeader } from "./_headers.ts";
import { sniffFormat } from "./_sniff.ts";

/**
 * The size a JPEG or PNG has once decoded at full scale and turned upright (EXIF orientations 5–8
 * swap width and height), read from its header without decoding any pixel. Pure.
 *
 * @param bytes The encoded image.
 * @returns `{ width, height }`, or `undefined` when the data is not a readable JPEG or PNG header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readImageSize } from "./read_image_size.ts";
 * assert.equal(readImageSize(new Uint8Array([1, 2, 3])), undefined);
 * ```
 */
export function readImageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  try {
    const format = sniffFormat(bytes);
    if (format === "image/png") {
      const { width, height } = readPngHeader(bytes);
      return { width, height };
    }
    if (format !== "image/jpeg") return undefined;
    const h = readJpegHeader(bytes);
    const swap = h.exif !== undefined && readExifOrientation(h.exif) >= 5;
    return swap ? { width: h.height, height: h.width } : { width: h.width, height: h.height };
  } catch {
    return undefined;
  }
}
