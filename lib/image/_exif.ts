/**
 * A minimal EXIF reader: just the Orientation tag (0x0112) of IFD0, in either byte order.
 *
 * @module
 */

import type { Orientation } from "./orient_raster.ts";

/**
 * Reads the Orientation tag from a TIFF structure (the APP1 payload after `Exif\0\0`).
 * Returns 1 when the tag is absent, malformed or out of range: a broken EXIF block never
 * makes an image undecodable.
 *
 * @param tiff The TIFF header and IFDs.
 * @returns The orientation, 1 to 8.
 */
export function readExifOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return 1;
  const little = order === 0x4949;
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd < 8 || ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let n = 0; n < count; n++) {
    const entry = ifd + 2 + n * 12;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little);
    // SHORT is the type the standard mandates; accept LONG from sloppy writers.
    const value = type === 3
      ? view.getUint16(entry + 8, little)
      : type === 4
      ? view.getUint32(entry + 8, little)
      : 0;
    return value >= 1 && value <= 8 ? value as Orientation : 1;
  }
  return 1;
}
