import { FaceError } from "../errors.ts";
import { decodeJpegWasm, decodePngWasm } from "./_codecs.ts";
import { readExifOrientation } from "./_exif.ts";
import { hasJpegEnd, type JpegHeader, readJpegHeader, readPngHeader } from "./_headers.ts";
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
  /** Turn JPEGs upright per their EXIF Orientation tag. Default: true. */
  applyExifOrientation?: boolean;
  /**
   * Lets the JPEG decoder scale down in the DCT domain (1/2, 1/4 or 1/8, much faster than a full
   * decode plus resize): it picks the strongest reduction that keeps the longer side at least
   * `maxDimension`, so the result's longer side is usually between `maxDimension` and twice that
   * (never below it unless the image is smaller). It is a speed hint, not an exact size: read the
   * returned `width`/`height` and resize if you need more. PNGs are always decoded at full size.
   * Default: none (full size).
   */
  maxDimension?: number;
}

const MIB = 1024 * 1024;

/**
 * Decodes a JPEG or PNG into an 8-bit RGBA raster, using imagescript's WebAssembly codecs.
 * The format is sniffed from magic bytes; size limits are checked from the header before any
 * pixel is decoded (decompression bombs); EXIF orientation is applied to JPEGs.
 *
 * Supported: JPEG baseline/progressive, gray, YCbCr and Adobe CMYK; PNG of every colour type and bit
 * depth (16-bit samples keep their high byte, palette and tRNS transparency become alpha).
 *
 * @param bytes The encoded image.
 * @param options Limits and decoding choices; see {@linkcode DecodeImageOptions}.
 * @returns The decoded raster; with `maxDimension` it may be smaller than the stored image.
 * @throws {FaceError} `image_too_large` when `bytes` or the declared pixel count exceeds a limit;
 *   `unsupported_media_type` for a recognised format other than JPEG and PNG (GIF, WebP, BMP,
 *   TIFF, HEIC, AVIF, ...); `invalid_image` for empty, unrecognised, truncated or corrupt data.
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
  if (format === undefined) throw invalid("the data is not a JPEG or PNG image");
  if (format !== "image/jpeg" && format !== "image/png") {
    throw new FaceError(
      "unsupported_media_type",
      `Cannot decode image: unsupported format "${format}"`,
      { details: { format, supported: ["image/jpeg", "image/png"] } },
    );
  }
  const isJpeg = format === "image/jpeg";

  let header: { width: number; height: number };
  let jpeg: JpegHeader | undefined;
  try {
    header = isJpeg ? jpeg = readJpegHeader(bytes) : readPngHeader(bytes);
  } catch (err) {
    throw invalid((err as Error).message, format, err);
  }
  const pixels = header.width * header.height;
  if (pixels > maxPixels) {
    throw new FaceError(
      "image_too_large",
      `Cannot decode image: ${header.width}x${header.height} exceeds the limit of ` +
        `${maxPixels} pixels`,
      { details: { width: header.width, height: header.height, maxPixels } },
    );
  }

  // A JPEG decoder fills missing data with gray instead of failing: refuse incomplete files.
  if (jpeg && !hasJpegEnd(bytes, jpeg.scanOffset)) {
    throw invalid("the JPEG data is truncated (no end-of-image marker)", format);
  }
  const orientation: Orientation = jpeg?.exif && options.applyExifOrientation !== false
    ? readExifOrientation(jpeg.exif)
    : 1;

  const codecs = await loadImageCodecs();
  let raster: Raster;
  try {
    raster = isJpeg
      ? decodeJpeg(codecs.jpeg, bytes, maxDimension)
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

function decodeJpeg(module: WebAssembly.Module, bytes: Uint8Array, maxDimension: number): Raster {
  if (maxDimension > 0) {
    try {
      return decodeJpegWasm(module, bytes, maxDimension, maxDimension);
    } catch {
      // Some streams cannot be scaled; a full decode below still may succeed.
    }
  }
  return decodeJpegWasm(module, bytes);
}

function positive(name: string, value: number): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`Cannot decode image: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

function invalid(reason: string, format?: string, cause?: unknown): FaceError {
  return new FaceError("invalid_image", `Cannot decode image: ${reason}`, {
    cause,
    details: format ? { format } : undefined,
  });
}
