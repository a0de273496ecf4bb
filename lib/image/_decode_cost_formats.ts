/**
 * The decode memory model of the emscripten codecs (WebP, AVIF, HEIC) and of the GIF decoder,
 * from the header alone, as `_decode_cost.ts` does for JPEG and PNG. Measured on this project's
 * builds (`@jsquash/webp` 1.5.0, `@jsquash/avif` 2.1.1, `libheif-js` 1.23.2) by reading each
 * codec's linear memory after decodes of a photo at 3, 12 and 48 MP (an emscripten memory starts
 * at 16 MiB and only grows, so its size after the decode is its peak):
 *
 * | codec                    | 3 MP     | 12 MP     | 48 MP     | model (bytes)                      |
 * | ------------------------ | -------- | --------- | --------- | ---------------------------------- |
 * | libwebp, lossy           | 16 MiB   | 55.4 MiB  | 220.8 MiB | 1.15 × (input + 4.4 × pixels)      |
 * | libwebp, lossless        | 25.4 MiB | 98.2 MiB  | —         | 1.15 × (input + 8.4 × pixels)      |
 * | libavif + dav1d          | 63.2 MiB | 218.8 MiB | fails     | 1.15 × (input + 20 × pixels)       |
 * | libheif, one coded image | 25.4 MiB | 99.0 MiB  | 391.1 MiB | 1.1 × (2 × input + 8.6 × pixels)   |
 *
 * A grid (phones write 512×512 tiles) is decoded one tile at a time: 16.25 MiB for 4 and 48
 * tiles (0.3 and 3.6 MiB of input), 33.75 MiB for 192 tiles of 14.3 MiB (libheif holds a second
 * copy of the input): 1.1 × (2 × input + 8.6 × tile pixels + 1 MiB).
 *
 * each at least 16 MiB; then the RGBA result on the JavaScript heap (4 bytes a pixel of the
 * output), another RGBA copy when an orientation is applied, and 2 MiB of slack. A fresh codec
 * instance per decode returns its memory with the instance (see `_emscripten_codecs.ts`).
 *
 * @module
 */
import type { HeifHeader } from "./_heif_header.ts";
import type { WebpHeader } from "./_webp.ts";

const MIB = 1024 * 1024;
const BASE = 16 * MIB;
const SLACK = 2 * MIB;

function total(wasm: number, outPixels: number, oriented: boolean): number {
  return Math.ceil(SLACK + Math.max(BASE, wasm) + 4 * outPixels * (oriented ? 2 : 1));
}

/** Estimated peak bytes of decoding a WebP (its still image or first frame). */
export function webpDecodeBytes(h: WebpHeader, inputBytes: number, oriented: boolean): number {
  const pixels = h.width * h.height;
  return total(1.15 * (inputBytes + (h.lossless ? 8.4 : 4.4) * pixels), pixels, oriented);
}

/** Estimated peak bytes of decoding an AVIF's primary image to 8-bit RGBA. */
export function avifDecodeBytes(h: HeifHeader, inputBytes: number, oriented: boolean): number {
  const pixels = h.width * h.height;
  const depth = h.bitDepth > 8 ? 1.5 : 1; // 16-bit sample planes for 10/12-bit streams
  return total(1.15 * (inputBytes + 20 * depth * pixels), pixels, oriented);
}

/**
 * Estimated peak bytes of decoding a HEIC's primary image at `1/scale`: a grid holds one tile in
 * the codec at a time, a single coded image all of it whatever the scale.
 */
export function heicDecodeBytes(
  h: HeifHeader,
  inputBytes: number,
  scale: number,
  oriented: boolean,
): number {
  const coded = h.grid ? h.grid.tileWidth * h.grid.tileHeight : h.width * h.height;
  const depth = h.bitDepth > 8 ? 1.5 : 1;
  const out = Math.ceil(h.width / scale) * Math.ceil(h.height / scale);
  return total(1.1 * (2 * inputBytes + 8.6 * depth * coded + MIB), out, oriented);
}

/**
 * The HEIC scale to decode at (1, 2, 4 or 8, dividing a grid's tiles): the strongest whose longer
 * side is still at least `maxDimension` (0: full size), then stronger ones until the estimate fits
 * `budget`. `undefined` (with the 1/8 estimate) when none fits.
 */
export function planHeicDecode(
  h: HeifHeader,
  inputBytes: number,
  maxDimension: number,
  budget: number,
  oriented: boolean,
): { scale: number | undefined; bytes: number } {
  const scales = [1, 2, 4, 8].filter((s) =>
    !h.grid || (h.grid.tileWidth % s === 0 && h.grid.tileHeight % s === 0)
  );
  let start = 0;
  if (maxDimension > 0) {
    for (let i = scales.length - 1; i > 0; i--) {
      if (Math.ceil(Math.max(h.width, h.height) / scales[i]) >= maxDimension) {
        start = i;
        break;
      }
    }
  }
  let bytes = 0;
  for (const scale of scales.slice(start)) {
    bytes = heicDecodeBytes(h, inputBytes, scale, oriented);
    if (bytes <= budget) return { scale, bytes };
  }
  return { scale: undefined, bytes };
}

/** Estimated peak bytes of decoding a GIF's first frame (indices plus the RGBA screen). */
export function gifDecodeBytes(width: number, height: number): number {
  return Math.ceil(SLACK + 5 * width * height);
}
