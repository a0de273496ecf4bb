/**
 * How much memory a decode takes, estimated from the header alone, so `decodeImage` can refuse
 * (or, for JPEG, scale down) before a byte is decoded. The model was measured on imagescript
 * 1.3.1's codecs (WebAssembly linear memory after a decode of PNGs of every colour type at 8 and
 * 16 bits and of baseline/progressive 4:2:0/4:4:4 JPEGs at every DCT scale, 4 and 12 MP):
 *
 * - png.wasm starts with 16 MiB of linear memory and holds the input, the raw scanlines at the
 *   stored depth (`height × (1 + ⌈width × channels × bits / 8⌉)`) and the 8-bit RGBA result at
 *   once; memory grows in steps that overshoot by up to 17 %. The RGBA result is then copied to
 *   the JavaScript heap (4 bytes per pixel).
 * - jpeg.wasm (Rust `jpeg-decoder`) starts at ~1 MiB and holds the input, one plane per component
 *   at the output scale, the interleaved output (1, 3 or 4 bytes per pixel) and, for progressive
 *   JPEGs, every DCT coefficient at full size (2 bytes per sample, whatever the scale); the
 *   measured overshoot is under 5 %. The RGBA result is then expanded on the JavaScript heap.
 * - EXIF orientation other than 1 makes one more RGBA copy.
 *
 * The estimates are upper bounds of those measurements: over 56 decodes (wasm memory after the
 * decode plus the RGBA copy, read from the codec instances) actual/estimate was 0.81–0.98 for
 * decodes above 10 MiB and never above 1; small ones are overestimated by the 2 MiB allowance.
 * Each codec's instance is reused by the next decode while its memory stays within 24 MiB
 * (`_codecs.ts`), else dropped after the decode; the estimate is that of one decode.
 *
 * @module
 */
import type { JpegHeader, PngHeader } from "./_headers.ts";

const MIB = 1024 * 1024;
/** png.wasm's initial linear memory (emscripten's default). */
const PNG_WASM_BASE = 16 * MIB;
/** Overshoot of png.wasm's memory growth (measured ≤ 17 %). */
const PNG_GROWTH = 1.2;
/** jpeg.wasm's initial linear memory (measured 1.06 MiB). */
const JPEG_WASM_BASE = 1.125 * MIB;
/** Overshoot of jpeg.wasm's memory growth (measured ≤ 5 %). */
const JPEG_GROWTH = 1.1;
/** Allocator granularity: small decodes measured up to 1.2 MiB above the proportional model. */
const SLACK = 2 * MIB;
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** SOF markers of progressive JPEGs (Huffman and arithmetic, sequential and differential). */
const PROGRESSIVE = new Set([0xc2, 0xc6, 0xca, 0xce]);

/** The decoded raster at the stored depth: width × height × channels × bytes per sample. */
export function pngRasterBytes(h: PngHeader): number {
  return h.width * h.height * PNG_CHANNELS[h.colorType] * Math.ceil(h.bitDepth / 8);
}

/** Estimated peak bytes of decoding a PNG with `inputBytes` bytes (see the module doc). */
export function pngDecodeBytes(h: PngHeader, inputBytes: number, oriented = false): number {
  const pixels = h.width * h.height;
  const scanlines = h.height *
    (1 + Math.ceil((h.width * PNG_CHANNELS[h.colorType] * h.bitDepth) / 8));
  const wasm = Math.max(PNG_WASM_BASE, PNG_GROWTH * (inputBytes + scanlines + 4 * pixels));
  return Math.ceil(SLACK + wasm + 4 * pixels * (oriented ? 2 : 1));
}

/** True for the SOF markers of progressive JPEGs. */
export function isProgressive(h: JpegHeader): boolean {
  return PROGRESSIVE.has(h.sofMarker);
}

/** The size of a JPEG decoded at `1/scale`, as jpeg-decoder rounds it (up). */
export function jpegScaledSize(h: JpegHeader, scale: number): { width: number; height: number } {
  return { width: Math.ceil(h.width / scale), height: Math.ceil(h.height / scale) };
}

/** Estimated peak bytes of decoding a JPEG at `1/scale` (see the module doc). */
export function jpegDecodeBytes(
  h: JpegHeader,
  scale: number,
  inputBytes: number,
  oriented = false,
): number {
  const factors = h.sampling.map(([x, y]): [number, number] => [Math.max(1, x), Math.max(1, y)]);
  const hMax = Math.max(1, ...factors.map(([x]) => x));
  const vMax = Math.max(1, ...factors.map(([, y]) => y));
  const mcuX = Math.ceil(h.width / (8 * hMax));
  const mcuY = Math.ceil(h.height / (8 * vMax));
  const dct = 8 / scale;
  let coefficients = 0;
  let planes = 0;
  for (const [x, y] of factors) {
    const blocks = mcuX * x * mcuY * y;
    if (isProgressive(h)) coefficients += blocks * 64 * 2;
    planes += blocks * dct * dct;
  }
  const out = jpegScaledSize(h, scale);
  const pixels = out.width * out.height;
  const channels = h.components === 1 ? 1 : h.components === 3 ? 3 : 4;
  const wasm = JPEG_WASM_BASE +
    JPEG_GROWTH * (inputBytes + coefficients + planes + pixels * channels);
  return Math.ceil(SLACK + wasm + 4 * pixels * (oriented ? 2 : 1));
}

/**
 * The JPEG scale to decode at: the strongest of 1/1, 1/2, 1/4, 1/8 whose longer side is still at
 * least `maxDimension` (0: full size), then weaker ones refused until the estimate fits `budget`.
 *
 * @returns The scale and its estimate, or `undefined` (with the 1/8 estimate) when none fits.
 */
export function planJpegDecode(
  h: JpegHeader,
  inputBytes: number,
  maxDimension: number,
  budget: number,
  oriented: boolean,
): { scale: number | undefined; bytes: number } {
  let scale = 1;
  if (maxDimension > 0) {
    for (const s of [8, 4, 2]) {
      const size = jpegScaledSize(h, s);
      if (Math.max(size.width, size.height) >= maxDimension) {
        scale = s;
        break;
      }
    }
  }
  let bytes = 0;
  for (; scale <= 8; scale *= 2) {
    bytes = jpegDecodeBytes(h, scale, inputBytes, oriented);
    if (bytes <= budget) return { scale, bytes };
  }
  return { scale: undefined, bytes };
}

/**
 * The largest square 8-bit RGBA PNG, in megapixels (a multiple of 0.1), whose decode fits
 * `budget` even when it does not compress at all: what a refusal tells the client to send
 * instead (an 8-bit JPEG of that size fits too: its estimate is lower at every scale).
 */
export function maxMegapixels(budget: number): number {
  let tenths = 0;
  while (true) {
    const side = Math.ceil(Math.sqrt((tenths + 1) * 100_000));
    const h: PngHeader = {
      width: side,
      height: side,
      bitDepth: 8,
      colorType: 6,
      interlaced: false,
    };
    if (pngDecodeBytes(h, side * (4 * side + 1) + 4096) > budget) return tenths / 10;
    tenths++;
  }
}
