/**
 * `decodeImage` for WebP, HEIC, AVIF and GIF: the header read first (size, orientation, depth,
 * grid), the pixel limit and the memory budget checked from it, then the codec. Each throws the
 * same `FaceError`s as the JPEG/PNG path (see `_decode_errors.ts`).
 *
 * @module
 */
import { decodeAvifWasm, decodeHeifWasm, decodeWebpWasm } from "./_emscripten_codecs.ts";
import {
  avifDecodeBytes,
  gifDecodeBytes,
  heicDecodeBytes,
  planHeicDecode,
  webpDecodeBytes,
} from "./_decode_cost_formats.ts";
import {
  invalid,
  largestFitting,
  overBudget,
  tooManyPixels,
  unsupported,
} from "./_decode_errors.ts";
import { readExifOrientation } from "./_exif.ts";
import { decodeGifFirstFrame, readGifHeader } from "./_gif.ts";
import { type HeifHeader, readHeifHeader } from "./_heif_header.ts";
import { readWebpHeader, type WebpHeader } from "./_webp.ts";
import { type Orientation, orientRaster } from "./orient_raster.ts";
import type { Raster } from "./raster.ts";
import { loadImageCodec } from "./set_image_codecs.ts";

/** The limits and choices `decodeImage` resolved. */
export interface FormatDecodeContext {
  maxPixels: number;
  budget: number;
  maxDimension: number;
  applyOrientation: boolean;
}

/** The formats this module decodes, as sniffed. */
export type OtherFormat = "image/webp" | "image/heic" | "image/avif" | "image/gif";

/**
 * Decodes a WebP, HEIF (HEIC or AVIF, told apart by the primary item's codec) or GIF.
 *
 * @throws {FaceError} `invalid_image`, `image_too_large` or `unsupported_media_type` (a HEIF
 *   whose pixels are in another codec: JPEG, VVC, uncompressed...).
 */
export async function decodeOtherFormat(
  bytes: Uint8Array,
  format: OtherFormat,
  ctx: FormatDecodeContext,
): Promise<Raster> {
  if (format === "image/webp") return await decodeWebp(bytes, ctx);
  if (format === "image/gif") return decodeGif(bytes, ctx);
  let h: HeifHeader;
  try {
    h = readHeifHeader(bytes);
  } catch (err) {
    throw invalid((err as Error).message, format, err);
  }
  if (h.codec === "hvc1") return await decodeHeic(bytes, h, ctx);
  if (h.codec === "av01") return await decodeAvif(bytes, h, ctx);
  throw unsupported(format, `${format} with ${h.codec} pixels`);
}

async function decodeWebp(bytes: Uint8Array, ctx: FormatDecodeContext): Promise<Raster> {
  let h: WebpHeader;
  try {
    h = readWebpHeader(bytes);
  } catch (err) {
    throw invalid((err as Error).message, "image/webp", err);
  }
  if (h.width * h.height > ctx.maxPixels) throw tooManyPixels(h.width, h.height, ctx.maxPixels);
  const orientation = h.exif && ctx.applyOrientation ? readExifOrientation(h.exif) : 1;
  const need = webpDecodeBytes(h, h.still.length, orientation !== 1);
  if (need > ctx.budget) {
    const kind = h.lossless ? "lossless WebP" : "WebP";
    const mp = largestFitting(
      ctx.budget,
      (s) => webpDecodeBytes({ ...h, width: s, height: s }, 0, false),
    );
    throw overBudget(
      h,
      kind,
      need,
      ctx.budget,
      `a JPEG, or a ${kind} of at most ${mp} megapixels`,
      {
        format: "image/webp",
        maxMegapixels: mp,
      },
    );
  }
  const frame = await run(
    "image/webp",
    "WebP",
    async () => decodeWebpWasm(await loadImageCodec("webp"), h.still),
  );
  return checked(frame, h, "image/webp", orientation);
}

async function decodeAvif(
  bytes: Uint8Array,
  h: HeifHeader,
  ctx: FormatDecodeContext,
): Promise<Raster> {
  if (h.width * h.height > ctx.maxPixels) throw tooManyPixels(h.width, h.height, ctx.maxPixels);
  const orientation = ctx.applyOrientation ? heifOrientation(h) : 1;
  const need = avifDecodeBytes(h, bytes.length, orientation !== 1);
  if (need > ctx.budget) {
    const mp = largestFitting(
      ctx.budget,
      (s) => avifDecodeBytes({ ...h, width: s, height: s }, 0, false),
    );
    throw overBudget(
      h,
      `${h.bitDepth}-bit AVIF`,
      need,
      ctx.budget,
      `a JPEG, or an AVIF of at most ${mp} megapixels`,
      {
        format: "image/avif",
        maxMegapixels: mp,
      },
    );
  }
  const frame = await run(
    "image/avif",
    "AVIF",
    async () => decodeAvifWasm(await loadImageCodec("avif"), bytes),
  );
  return checked(frame, h, "image/avif", orientation);
}

async function decodeHeic(
  bytes: Uint8Array,
  h: HeifHeader,
  ctx: FormatDecodeContext,
): Promise<Raster> {
  if (h.width * h.height > ctx.maxPixels) throw tooManyPixels(h.width, h.height, ctx.maxPixels);
  const orientation = ctx.applyOrientation ? heifOrientation(h) : 1;
  const plan = planHeicDecode(h, bytes.length, ctx.maxDimension, ctx.budget, orientation !== 1);
  if (plan.scale === undefined) {
    const mp = largestFitting(
      ctx.budget,
      (s) => heicDecodeBytes({ ...h, grid: undefined, width: s, height: s }, 0, 1, false),
    );
    const kind = "HEIC (even at 1/8 scale)";
    throw overBudget(
      h,
      kind,
      plan.bytes,
      ctx.budget,
      `a JPEG, or a HEIC of at most ${mp} megapixels`,
      {
        format: "image/heic",
        maxMegapixels: mp,
      },
    );
  }
  const scale = plan.scale;
  const frame = await run(
    "image/heic",
    "HEIC",
    async () => decodeHeifWasm(await loadImageCodec("heif"), bytes, scale),
  );
  const want = { width: Math.ceil(h.width / scale), height: Math.ceil(h.height / scale) };
  return checked(frame, want, "image/heic", orientation);
}

function decodeGif(bytes: Uint8Array, ctx: FormatDecodeContext): Raster {
  let size: { width: number; height: number };
  try {
    size = readGifHeader(bytes);
  } catch (err) {
    throw invalid((err as Error).message, "image/gif", err);
  }
  if (size.width * size.height > ctx.maxPixels) {
    throw tooManyPixels(size.width, size.height, ctx.maxPixels);
  }
  const need = gifDecodeBytes(size.width, size.height);
  if (need > ctx.budget) {
    const mp = largestFitting(ctx.budget, (s) => gifDecodeBytes(s, s));
    throw overBudget(
      size,
      "GIF",
      need,
      ctx.budget,
      `a JPEG, or a GIF of at most ${mp} megapixels`,
      {
        format: "image/gif",
        maxMegapixels: mp,
      },
    );
  }
  try {
    return decodeGifFirstFrame(bytes);
  } catch (err) {
    throw invalid(
      `the GIF data is corrupt or truncated: ${(err as Error).message}`,
      "image/gif",
      err,
    );
  }
}

async function run<T>(format: string, name: string, decode: () => Promise<T>): Promise<T> {
  try {
    return await decode();
  } catch (err) {
    if (err instanceof Error && /Cannot load the \w+ codec/.test(err.message)) throw err;
    throw invalid(`the ${name} data is corrupt or truncated`, format, err);
  }
}

/** Refuses a codec result whose size is not the header's; applies the orientation. */
function checked(
  frame: Raster,
  want: { width: number; height: number },
  format: string,
  orientation: Orientation,
): Raster {
  if (frame.width !== want.width || frame.height !== want.height) {
    throw invalid(
      `the decoder returned ${frame.width}x${frame.height} for a ${want.width}x${want.height} header`,
      format,
    );
  }
  const raster = { width: frame.width, height: frame.height, data: frame.data };
  return orientation === 1 ? raster : orientRaster(raster, orientation);
}

/**
 * The EXIF orientation equivalent to a HEIF's `irot` (anticlockwise quarter turns) followed by
 * its `imir` (0: left-right, 1: top-bottom), found by applying both to a 3×2 probe.
 */
export function heifOrientation(h: Pick<HeifHeader, "rotation" | "mirror">): Orientation {
  if (h.rotation === 0 && h.mirror === undefined) return 1;
  const probe: Raster = { width: 3, height: 2, data: new Uint8Array(24).map((_, i) => i >> 2) };
  let r = probe;
  for (let k = 0; k < h.rotation; k++) r = orientRaster(r, 8);
  if (h.mirror !== undefined) r = orientRaster(r, h.mirror === 0 ? 2 : 4);
  for (let o = 1; o <= 8; o++) {
    const t = orientRaster(probe, o as Orientation);
    if (t.width === r.width && t.data.every((v, i) => v === r.data[i])) return o as Orientation;
  }
  return 1;
}
