/**
 * Header parsers for PNG (IHDR) and JPEG (SOFn, APP1 Exif, end-of-image marker). They read only
 * the container structure, so image size limits are enforced before any pixel is decoded.
 * Each throws a plain `Error` with a short reason; `decodeImage` wraps it in a `FaceError`.
 *
 * @module
 */
import { crc32 } from "./_png_chunks.ts";

/** What {@linkcode readPngHeader} finds. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Reads the IHDR chunk that must follow the PNG signature, checking its CRC. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  if (bytes.length < 33) throw new Error("the PNG data is truncated before the end of its header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== "IHDR") {
    throw new Error("the PNG data does not start with an IHDR chunk");
  }
  if (crc32(bytes, 12, 29) !== view.getUint32(29)) {
    throw new Error("the PNG IHDR chunk fails its CRC check");
  }
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new Error(`the PNG header declares an invalid size ${width}x${height}`);
  }
  if (!PNG_DEPTHS[colorType]?.includes(bitDepth)) {
    throw new Error(`the PNG header declares colour type ${colorType} with bit depth ${bitDepth}`);
  }
  return { width, height, bitDepth, colorType, interlaced: bytes[28] === 1 };
}

/** What {@linkcode readJpegHeader} finds. */
export interface JpegHeader {
  width: number;
  height: number;
  /** Number of colour components (1 gray, 3 YCbCr/RGB, 4 CMYK/YCCK). */
  components: number;
  /** The SOFn marker byte (0xC0 baseline, 0xC2 progressive, ...). */
  sofMarker: number;
  /** Horizontal and vertical sampling factors per component, as declared (1–4 each). */
  sampling: [number, number][];
  /** The TIFF payload of the first `APP1` Exif segment (after `Exif\0\0`), if any. */
  exif: Uint8Array | undefined;
  /** Offset of the first start-of-scan marker. */
  scanOffset: number;
}

/**
 * Walks the JPEG marker segments up to the first SOS. Throws when the structure is broken, no
 * frame header precedes the scan, or the frame declares a zero size.
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  let exif: Uint8Array | undefined;
  let frame: Omit<JpegHeader, "exif" | "scanOffset"> | undefined;
  let i = 2;
  while (true) {
    if (i + 1 >= bytes.length) throw new Error("the JPEG data is truncated before its first scan");
    if (bytes[i] !== 0xff) throw new Error(`the JPEG data has no marker at offset ${i}`);
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xd8) {
      throw new Error("the JPEG data ends before its first scan");
    }
    if (i + 4 > bytes.length) throw new Error("the JPEG data is truncated inside a segment header");
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (length < 2 || i + 2 + length > bytes.length) {
      throw new Error("the JPEG data is truncated inside a segment");
    }
    const body = bytes.subarray(i + 4, i + 2 + length);
    if (marker === 0xda) {
      if (!frame) throw new Error("the JPEG data has a scan before its frame header");
      return { ...frame, exif, scanOffset: i };
    }
    if (isSof(marker)) {
      if (body.length < 6 || body.length < 6 + 3 * body[5]) {
        throw new Error("the JPEG frame header is too short");
      }
      const height = (body[1] << 8) | body[2];
      const width = (body[3] << 8) | body[4];
      if (width === 0 || height === 0) {
        throw new Error(`the JPEG frame header declares an invalid size ${width}x${height}`);
      }
      const sampling = Array.from(
        { length: body[5] },
        (_, c): [number, number] => [body[7 + 3 * c] >> 4, body[7 + 3 * c] & 15],
      );
      frame ??= { width, height, components: body[5], sofMarker: marker, sampling };
    } else if (marker === 0xe1 && exif === undefined && isExif(body)) {
      exif = body.subarray(6);
    }
    i += 2 + length;
  }
}

function isSof(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
    marker !== 0xcc;
}

function isExif(body: Uint8Array): boolean {
  return body.length >= 6 && body[0] === 0x45 && body[1] === 0x78 && body[2] === 0x69 &&
    body[3] === 0x66 && body[4] === 0 && body[5] === 0;
}

/** True when an end-of-image marker (FF D9) follows the first scan, i.e. the file is complete. */
export function hasJpegEnd(bytes: Uint8Array, scanOffset: number): boolean {
  for (let i = bytes.length - 2; i > scanOffset; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}
