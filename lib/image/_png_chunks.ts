/**
 * PNG container integrity: CRC-32 (ISO 3309, the polynomial PNG uses) over every chunk, streamed
 * over the bytes with slicing-by-8 tables (8 KiB, built once), so a bit flip anywhere in the
 * file is caught before the decoder runs. Errors are plain `Error`s with a short reason;
 * `decodeImage` wraps them in a `FaceError` `invalid_image`.
 *
 * @module
 */

const TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = t[0][t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8);
  }
  return t;
})();

/**
 * CRC-32 of `bytes[start, end)` as PNG computes it (the chunk type and data).
 *
 * @returns The CRC as an unsigned 32-bit number.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ crc;
    const b = bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
    crc = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24];
  }
  for (; i < end; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

function isLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * Walks every chunk from the one after the signature to `IEND` and checks its length, type and
 * CRC. Bytes after `IEND` are ignored (as decoders do).
 *
 * @param bytes A PNG (signature included).
 * @param first Offset of the first chunk to check. Default: 8 (right after the signature).
 * @throws {Error} When a chunk's CRC does not match, its type is not four letters, a chunk runs
 *   past the end of the data, or the data ends before `IEND`.
 */
export function checkPngChunks(bytes: Uint8Array, first = 8): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = first;
  while (true) {
    if (offset + 12 > bytes.length) {
      throw new Error("the PNG data is truncated (no IEND chunk)");
    }
    const length = view.getUint32(offset);
    const typeBytes = bytes.subarray(offset + 4, offset + 8);
    if (!typeBytes.every(isLetter)) {
      throw new Error(`the PNG data has a corrupt chunk type at offset ${offset}`);
    }
    const type = String.fromCharCode(...typeBytes);
    const end = offset + 8 + length;
    if (length > 0x7fffffff || end + 4 > bytes.length) {
      throw new Error(`the PNG data is truncated inside its ${type} chunk`);
    }
    if (crc32(bytes, offset + 4, end) !== view.getUint32(end)) {
      throw new Error(`the PNG ${type} chunk at offset ${offset} fails its CRC check`);
    }
    if (type === "IEND") return;
    offset = end + 4;
  }
}
