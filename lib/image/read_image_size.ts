import { readExifOrientation } from "./_exif.ts";
import { heifOrientation } from "./_decode_formats.ts";
import { readGifHeader } from "./_gif.ts";
import { readHeifHeader } from "./_heif_header.ts";
import { readJpegHeader, readPngHeader } from "./_headers.ts";
import { sniffFormat } from "./_sniff.ts";
import { readWebpHeader } from "./_webp.ts";

/**
 * The size an image has once decoded at full scale and turned upright (EXIF orientations 5–8 and
 * a HEIF `irot` of a quarter turn swap width and height), read from its header without decoding
 * any pixel: JPEG, PNG, WebP (an animation's first frame), HEIC, AVIF, GIF. Pure.
 *
 * @param bytes The encoded image.
 * @returns `{ width, height }`, or `undefined` when the data is not a readable header of those formats.
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
    if (format === "image/gif") return readGifHeader(bytes);
    let h: { width: number; height: number };
    let swap = false;
    if (format === "image/jpeg") {
      const jpeg = readJpegHeader(bytes);
      swap = jpeg.exif !== undefined && readExifOrientation(jpeg.exif) >= 5;
      h = jpeg;
    } else if (format === "image/webp") {
      const webp = readWebpHeader(bytes);
      swap = webp.exif !== undefined && readExifOrientation(webp.exif) >= 5;
      h = webp;
    } else if (format === "image/heic" || format === "image/avif") {
      const heif = readHeifHeader(bytes);
      swap = heifOrientation(heif) >= 5;
      h = heif;
    } else {
      return undefined;
    }
    return swap ? { width: h.height, height: h.width } : { width: h.width, height: h.height };
  } catch {
    return undefined;
  }
}
