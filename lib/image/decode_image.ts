import { FaceError } from "../errors.ts";
import { decodeJpegWasm, decodePngWasm } from "./_codecs.ts";
import { decodeOtherFormat } from "./_decode_formats.ts";
import { invalid, tooManyPixels, unsupported } from "./_decode_errors.ts";
import { readExifOrientation } from "./_exif.ts";
import {
  hasJpegEnd,
  type JpegHeader,
  type PngHeader,
  readJpegHeader,
  readPngHeader,
} from "./_headers.ts";
import {
  jpegScaledSize,
  maxMegapixels,
  planJpegDecode,
  pngDecodeBytes,
  pngRasterBytes,
} from "./_decode_cost.ts";
import { checkPngChunks } from "./_png_chunks.ts";
import { sniffFormat } from "./_sniff.ts";
import { type Orientation, orientRaster } from "./orient_raster.ts";
import type { Raster } from "./raster.ts";
import { loadImageCodecs } from "./set_image_codecs.ts";

/** Options for {@linkcode decodeImage}. */
export interface DecodeImageOptions {
  /** Largest accepted input, in bytes. Default: 20 MiB (20 * 1024 * 1024). */
  maxBytes?: number;
  /** Largest accepted image, in pixels, as declared by its header. Default: 50_000_000. */
  maxPixels?: number;
  /**
   * Memory budget of one decode, in bytes, estimated from the header before decoding: the raster
   * at its stored depth (width × height × channels × bytes per sample) plus the codec's working
   * buffers and the 8-bit RGBA result (see `_decode_cost.ts` for the measured model). A JPEG
   * over it is decoded at the finest DCT scale (1/2, 1/4, 1/8) that fits; a PNG over it, or a
   * JPEG that does not fit even at 1/8, is refused with `image_too_large`.
   * Default: {@linkcode DEFAULT_MAX_DECODED_BYTES}.
   */
  maxDecodedBytes?: number;
  /**
   * Turn images upright: JPEGs and WebPs per their EXIF Orientation tag, HEICs and AVIFs per
   * their `irot` / `imir` properties. Default: true.
   */
  applyExifOrientation?: boolean;
  /**
   * Lets the JPEG decoder scale down in the DCT domain (1/2, 1/4 or 1/8, much faster than a full
   * decode plus resize): it picks the strongest reduction that keeps the longer side at least
   * `maxDimension`, so the result's longer side is usually between `maxDimension` and twice that
   * (never below it unless the image is smaller). It is a speed hint, not an exact size: read the
   * returned `width`/`height` and resize if you need more. Grid HEICs are reduced the same way
   * (1/2, 1/4, 1/8 per tile); PNG, WebP, AVIF and GIF are always decoded at full size.
   * Default: none (full size).
   */
  maxDimension?: number;
}

const MIB = 1024 * 1024;

/**
 * The default decode budget (48 MiB). Measured on workerd (README "Cloudflare Workers"), an
 * isolate holds ~40 MiB after a verify (onnxruntime's 28 MiB linear memory, the 7 MiB models,
 * the V8 heap); with a 20 MiB body on top, a decode of 48 MiB keeps one request under Workers'
 * 128 MB. Any 8-bit RGBA PNG of up to 2.6 MP fits even uncompressed (a 2000×2000 photo PNG of
 * 6 MB needs 56 MiB and is refused), and so does every baseline JPEG up to `maxPixels` at some
 * DCT scale.
 */
export const DEFAULT_MAX_DECODED_BYTES = 48 * MIB;

/**
 * Decodes a JPEG, PNG, WebP, HEIC, AVIF or GIF into an 8-bit RGBA raster, with WebAssembly codecs
 * (imagescript's JPEG and PNG, libwebp, libavif + dav1d, libheif + libde265; GIF in TypeScript).
 * The format is sniffed from magic bytes; size limits are checked from the header before any
 * pixel is decoded (decompression bombs); EXIF orientation (JPEG, WebP) and `irot`/`imir`
 * (HEIC, AVIF) are applied.
 *
 * Supported: JPEG baseline/progressive, gray, YCbCr and Adobe CMYK; PNG of every colour type and bit
 * depth (16-bit samples keep their high byte, palette and tRNS transparency become alpha); WebP
 * lossy, lossless, alpha, the first frame of an animation; HEIC single images and grids (a grid is
 * decoded tile by tile, at 1/2, 1/4 or 1/8 when the budget or `maxDimension` asks), 8 to 12 bits;
 * AVIF 8 to 12 bits (the primary image, or the first frame of a sequence); GIF's first frame.
 *
 * @param bytes The encoded image.
 * @param options Limits and decoding choices; see {@linkcode DecodeImageOptions}.
 * @returns The decoded raster; with `maxDimension` it may be smaller than the stored image.
 * @throws {FaceError} `image_too_large` when `bytes`, the declared pixel count or the decode's
 *   memory estimate (PNG, WebP, AVIF; JPEG and HEIC grids even at 1/8 scale) exceeds a limit;
 *   `unsupported_media_type` for a recognised format that is not decoded (BMP, TIFF, JPEG XL,
 *   a HEIF of JPEG or VVC pixels, ...), naming it and the accepted ones; `invalid_image` for
 *   empty, unrecognised, truncated or corrupt data.
 * @throws {TypeError} When `bytes` is not a `Uint8Array`.
 * @throws {RangeError} When an option is not a positive number.
 * @throws {Error} When the codecs cannot be loaded (see `setImageCodecs`).
 *
 * @example
 * ```ts ignore
 * const raster = await decodeImage(await Deno.readFile("face.jpg"), { maxDimension: 1024 });
 * console.log(raster.width, raster.height);
 * ```
 */
export async function decodeImage(
  bytes: Uint8Array,
  options: DecodeImageOptions = {},
): Promise<Raster> {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError("Cannot decode image: bytes must be a Uint8Array");
  }
  const maxBytes = positive("maxBytes", options.maxBytes ?? 20 * MIB);
  const maxPixels = positive("maxPixels", options.maxPixels ?? 50_000_000);
  const budget = positive("maxDecodedBytes", options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES);
  const maxDimension = options.maxDimension === undefined
    ? 0
    : Math.ceil(positive("maxDimension", options.maxDimension));

  if (bytes.length === 0) throw invalid("the data is empty");
  if (bytes.length > maxBytes) {
    throw new FaceError(
      "image_too_large",
      `Cannot decode image: ${bytes.length} bytes exceed the limit of ${maxBytes}`,
      { details: { bytes: bytes.length, maxBytes } },
    );
  }
  const format = sniffFormat(bytes);
  if (format === undefined) {
    throw invalid("the data is not a JPEG, PNG, WebP, HEIC, AVIF or GIF image");
  }
  if (
    format === "image/webp" || format === "image/heic" || format === "image/avif" ||
    format === "image/gif"
  ) {
    return await decodeOtherFormat(bytes, format, {
      maxPixels,
      budget,
      maxDimension,
      applyOrientation: options.applyExifOrientation !== false,
    });
  }
  if (format !== "image/jpeg" && format !== "image/png") throw unsupported(format);
  const isJpeg = format === "image/jpeg";

  let header: { width: number; height: number };
  let jpeg: JpegHeader | undefined;
  try {
    header = isJpeg ? jpeg = readJpegHeader(bytes) : readPngHeader(bytes);
  } catch (err) {
    throw invalid((err as Error).message, format, err);
  }
  const pixels = header.width * header.height;
  if (pixels > maxPixels) throw tooManyPixels(header.width, header.height, maxPixels);

  // A JPEG decoder fills missing data with gray instead of failing: refuse incomplete files.
  if (jpeg && !hasJpegEnd(bytes, jpeg.scanOffset)) {
    throw invalid("the JPEG data is truncated (no end-of-image marker)", format);
  }
  const orientation: Orientation = jpeg?.exif && options.applyExifOrientation !== false
    ? readExifOrientation(jpeg.exif)
    : 1;

  let scale = 1;
  if (jpeg) {
    const plan = planJpegDecode(jpeg, bytes.length, maxDimension, budget, orientation !== 1);
    if (plan.scale === undefined) {
      throw tooLarge(jpeg, "JPEG (even at 1/8 scale)", plan.bytes, budget);
    }
    scale = plan.scale;
  } else {
    const png = header as PngHeader;
    const need = pngDecodeBytes(png, bytes.length);
    if (need > budget) throw tooLarge(png, pngKind(png), need, budget);
    try {
      checkPngChunks(bytes, 33);
    } catch (err) {
      throw invalid((err as Error).message, format, err);
    }
  }

  const codecs = await loadImageCodecs();
  let raster: Raster;
  try {
    raster = jpeg
      ? decodeJpeg(codecs.jpeg, bytes, jpeg, scale, budget)
      : decodePngWasm(codecs.png, bytes);
  } catch (err) {
    throw invalid(`the ${isJpeg ? "JPEG" : "PNG"} data is corrupt or truncated`, format, err);
  }
  const sizeOk = isJpeg
    ? raster.width <= header.width && raster.height <= header.height
    : raster.width === header.width && raster.height === header.height;
  if (!sizeOk || raster.width < 1 || raster.height < 1) {
    throw invalid(
      `the decoder returned ${raster.width}x${raster.height} for a ` +
        `${header.width}x${header.height} header`,
      format,
    );
  }
  return orientation === 1 ? raster : orientRaster(raster, orientation);
}

function decodeJpeg(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  header: JpegHeader,
  scale: number,
  budget: number,
): Raster {
  if (scale > 1) {
    // jpeg-decoder picks the strongest scale whose longer side is at least the target: ask for
    // exactly the longer side at `scale`.
    const size = jpegScaledSize(header, scale);
    const target = Math.max(size.width, size.height);
    try {
      return decodeJpegWasm(module, bytes, target, target);
    } catch (err) {
      // Some streams cannot be scaled; a full decode may still succeed, if it fits the budget.
      if (planJpegDecode(header, bytes.length, 0, budget, false).scale !== 1) throw err;
    }
  }
  return decodeJpegWasm(module, bytes);
}

function pngKind(h: PngHeader): string {
  const colour = ["gray", "", "RGB", "palette", "gray+alpha", "", "RGBA"][h.colorType];
  return `${h.bitDepth}-bit ${colour} PNG`;
}

function tooLarge(
  h: JpegHeader | PngHeader,
  kind: string,
  need: number,
  budget: number,
): FaceError {
  const mb = (n: number) => (n / MIB).toFixed(n < 10 * MIB ? 1 : 0);
  const mp = maxMegapixels(budget);
  const raster = "colorType" in h ? pngRasterBytes(h) : undefined;
  return new FaceError(
    "image_too_large",
    `Cannot decode image: a ${h.width}x${h.height} ${kind} needs about ${mb(need)} MiB to ` +
      `decode, over the limit of ${mb(budget)} MiB; send a JPEG, or a PNG of at most ${mp} ` +
      `megapixels with 8-bit channels`,
    {
      details: {
        width: h.width,
        height: h.height,
        ...(raster === undefined ? {} : { rasterBytes: raster }),
        decodeBytes: need,
        maxDecodedBytes: budget,
        maxMegapixels: mp,
      },
    },
  );
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`Cannot decode image: ${name} must be a positive number, got ${value}`);
  }
  return value;
}
