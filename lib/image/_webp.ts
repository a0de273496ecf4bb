/**
 * WebP container reading (RIFF chunks): the size from the `VP8 ` / `VP8L` / `VP8X` header, the
 * EXIF chunk, and the first frame of an animation re-wrapped as a still WebP (libwebp's simple
 * decoder refuses animations). Plain `Error`s for broken structure; `decodeImage` wraps them.
 *
 * @module
 */

/** What {@linkcode readWebpHeader} finds. */
export interface WebpHeader {
  /** The size of what will be decoded: the still image, or an animation's first frame. */
  width: number;
  height: number;
  /** VP8L (lossless) bitstream: libwebp keeps a 32-bit ARGB copy while decoding. */
  lossless: boolean;
  /** An ANIM/ANMF file: the first frame is decoded. */
  animated: boolean;
  /** The EXIF chunk's TIFF payload, if any. */
  exif: Uint8Array | undefined;
  /** The bytes to give the decoder: the file itself, or a still WebP of the first frame. */
  still: Uint8Array;
}

interface Chunk {
  type: string;
  data: Uint8Array;
}

function chunks(bytes: Uint8Array, start: number, end: number): Chunk[] {
  const out: Chunk[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = start; at + 8 <= end;) {
    const type = String.fromCharCode(...bytes.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    if (at + 8 + size > end) throw new Error(`the WebP chunk "${type}" is truncated`);
    out.push({ type, data: bytes.subarray(at + 8, at + 8 + size) });
    at += 8 + size + (size & 1);
  }
  return out;
}

function u24(d: Uint8Array, at: number): number {
  return d[at] | (d[at + 1] << 8) | (d[at + 2] << 16);
}

/** The size a `VP8 ` or `VP8L` bitstream declares. */
function bitstreamSize(c: Chunk): { width: number; height: number; lossless: boolean } {
  const d = c.data;
  if (c.type === "VP8 ") {
    if (d.length < 10 || d[3] !== 0x9d || d[4] !== 0x01 || d[5] !== 0x2a) {
      throw new Error("the WebP VP8 frame header is broken");
    }
    return {
      width: (d[6] | (d[7] << 8)) & 0x3fff,
      height: (d[8] | (d[9] << 8)) & 0x3fff,
      lossless: false,
    };
  }
  if (d.length < 5 || d[0] !== 0x2f) throw new Error("the WebP VP8L header is broken");
  const bits = d[1] | (d[2] << 8) | (d[3] << 16) | (d[4] << 24);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, lossless: true };
}

function riff(parts: Chunk[]): Uint8Array {
  const size = parts.reduce((n, c) => n + 8 + c.data.length + (c.data.length & 1), 4);
  const out = new Uint8Array(8 + size);
  const view = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46]); // RIFF
  view.setUint32(4, size, true);
  out.set([0x57, 0x45, 0x42, 0x50], 8); // WEBP
  let at = 12;
  for (const c of parts) {
    for (let i = 0; i < 4; i++) out[at + i] = c.type.charCodeAt(i);
    view.setUint32(at + 4, c.data.length, true);
    out.set(c.data, at + 8);
    at += 8 + c.data.length + (c.data.length & 1);
  }
  return out;
}

/**
 * Reads a WebP's size and metadata from its chunks, without decoding.
 *
 * @param bytes The whole file (starting `RIFF....WEBP`).
 * @returns The header; throws a plain `Error` for a broken or truncated structure.
 */
export function readWebpHeader(bytes: Uint8Array): WebpHeader {
  if (bytes.length < 20) throw new Error("the WebP data is truncated before its first chunk");
  const riffEnd = 8 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (riffEnd > bytes.length) throw new Error("the WebP data is truncated (RIFF size)");
  const list = chunks(bytes, 12, riffEnd);
  const first = list[0];
  if (!first) throw new Error("the WebP data has no chunks");
  if (first.type === "VP8 " || first.type === "VP8L") {
    return { ...bitstreamSize(first), animated: false, exif: undefined, still: bytes };
  }
  if (first.type !== "VP8X" || first.data.length < 10) {
    throw new Error(`the WebP data starts with an unknown chunk "${first.type}"`);
  }
  const flags = first.data[0];
  const canvas = { width: u24(first.data, 4) + 1, height: u24(first.data, 7) + 1 };
  const exifChunk = flags & 0x08 ? list.find((c) => c.type === "EXIF") : undefined;
  let exif = exifChunk?.data;
  // Some writers keep JPEG's "Exif\0\0" prefix in the chunk.
  if (exif && exif.length > 6 && exif[0] === 0x45 && exif[1] === 0x78 && exif[4] === 0) {
    exif = exif.subarray(6);
  }
  if (flags & 0x02) {
    const frame = list.find((c) => c.type === "ANMF");
    if (!frame || frame.data.length < 16) throw new Error("the animated WebP has no frame");
    const parts = chunks(frame.data, 16, frame.data.length);
    const coded = parts.find((c) => c.type === "VP8 " || c.type === "VP8L");
    if (!coded) throw new Error("the animated WebP's first frame has no bitstream");
    const size = bitstreamSize(coded);
    const alph = parts.find((c) => c.type === "ALPH");
    let still: Uint8Array;
    if (alph && coded.type === "VP8 ") {
      const x = new Uint8Array(10);
      x[0] = 0x10;
      x.set([(size.width - 1) & 255, ((size.width - 1) >> 8) & 255, (size.width - 1) >> 16], 4);
      x.set([(size.height - 1) & 255, ((size.height - 1) >> 8) & 255, (size.height - 1) >> 16], 7);
      still = riff([{ type: "VP8X", data: x }, alph, coded]);
    } else {
      still = riff([coded]);
    }
    return { ...size, animated: true, exif, still };
  }
  const coded = list.find((c) => c.type === "VP8 " || c.type === "VP8L");
  if (!coded) throw new Error("the WebP data has no image bitstream");
  const size = bitstreamSize(coded);
  if (size.width !== canvas.width || size.height !== canvas.height) {
    throw new Error("the WebP canvas and bitstream sizes differ");
  }
  return { ...size, animated: false, exif, still: bytes };
}
