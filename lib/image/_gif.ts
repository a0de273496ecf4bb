/**
 * GIF: the logical screen size from the header and a decoder of the first frame only (LZW, local
 * or global palette, interlacing, the graphic control extension's transparent index), in plain
 * TypeScript: an animation's later frames are never read, so a thousand-frame GIF costs what its
 * first frame does. Plain `Error`s for broken or truncated data; `decodeImage` wraps them.
 *
 * @module
 */
import type { CodecFrame } from "./_codecs.ts";

/** The logical screen size, from the 13-byte header. */
export function readGifHeader(bytes: Uint8Array): { width: number; height: number } {
  if (bytes.length < 13) throw new Error("the GIF data is truncated before its header ends");
  const width = bytes[6] | (bytes[7] << 8);
  const height = bytes[8] | (bytes[9] << 8);
  if (width === 0 || height === 0) {
    throw new Error(`the GIF header declares an invalid size ${width}x${height}`);
  }
  return { width, height };
}

/**
 * Decodes the first frame of a GIF onto its logical screen (pixels outside the frame and the
 * transparent index are transparent, alpha 0), as 8-bit RGBA.
 */
export function decodeGifFirstFrame(bytes: Uint8Array): CodecFrame {
  const { width, height } = readGifHeader(bytes);
  const need = (at: number, n: number) => {
    if (at + n > bytes.length) throw new Error("the GIF data is truncated");
  };
  let at = 13;
  let global: Uint8Array | undefined;
  if (bytes[10] & 0x80) {
    const n = 3 * (2 << (bytes[10] & 7));
    need(at, n);
    global = bytes.subarray(at, at + n);
    at += n;
  }
  let transparent = -1;
  while (true) {
    need(at, 1);
    const block = bytes[at++];
    if (block === 0x21) {
      need(at, 1);
      const label = bytes[at++];
      if (label === 0xf9) {
        need(at, 5);
        if (bytes[at] >= 4 && bytes[at + 1] & 1) transparent = bytes[at + 4];
      }
      at = skipSubBlocks(bytes, at);
    } else if (block === 0x2c) {
      need(at, 9);
      const left = bytes[at] | (bytes[at + 1] << 8);
      const top = bytes[at + 2] | (bytes[at + 3] << 8);
      const w = bytes[at + 4] | (bytes[at + 5] << 8);
      const h = bytes[at + 6] | (bytes[at + 7] << 8);
      const flags = bytes[at + 8];
      at += 9;
      let palette = global;
      if (flags & 0x80) {
        const n = 3 * (2 << (flags & 7));
        need(at, n);
        palette = bytes.subarray(at, at + n);
        at += n;
      }
      if (!palette) throw new Error("the GIF frame has no colour table");
      if (w === 0 || h === 0) throw new Error("the GIF frame is empty");
      if (w * h > width * height) throw new Error("the GIF frame is larger than its screen");
      need(at, 1);
      const minCode = bytes[at++];
      if (minCode < 2 || minCode > 11) throw new Error("the GIF frame has a bad LZW code size");
      const indices = lzw(bytes, at, minCode, w * h);
      const data = new Uint8Array(width * height * 4);
      const rows = (flags & 0x40) ? interlacedRows(h) : undefined;
      for (let r = 0; r < h; r++) {
        const y = top + (rows ? rows[r] : r);
        if (y >= height) continue;
        for (let x = 0; x < w && left + x < width; x++) {
          const i = indices[r * w + x];
          if (i === transparent || 3 * i + 2 >= palette.length) continue;
          const o = 4 * (y * width + left + x);
          data[o] = palette[3 * i];
          data[o + 1] = palette[3 * i + 1];
          data[o + 2] = palette[3 * i + 2];
          data[o + 3] = 255;
        }
      }
      return { width, height, data };
    } else {
      throw new Error(
        block === 0x3b ? "the GIF data has no frame" : `the GIF data has an unknown block ${block}`,
      );
    }
  }
}

function skipSubBlocks(bytes: Uint8Array, at: number): number {
  while (true) {
    if (at >= bytes.length) throw new Error("the GIF data is truncated inside a block");
    const n = bytes[at];
    at += 1 + n;
    if (n === 0) return at;
  }
}

/** The stored row order of an interlaced frame: stored row r holds image row rows[r]. */
function interlacedRows(h: number): Uint32Array {
  const rows = new Uint32Array(h);
  let r = 0;
  for (const [start, step] of [[0, 8], [4, 8], [2, 4], [1, 2]]) {
    for (let y = start; y < h; y += step) rows[r++] = y;
  }
  return rows;
}

/** Decodes `count` palette indices from the LZW sub-blocks starting at `at`. */
function lzw(bytes: Uint8Array, at: number, minCode: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  const clear = 1 << minCode;
  const end = clear + 1;
  const prefix = new Int16Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const stack = new Uint8Array(4097);
  for (let i = 0; i < clear; i++) {
    suffix[i] = first[i] = i;
    prefix[i] = -1;
  }
  let size = minCode + 1;
  let next = end + 1;
  let prev = -1;
  let bits = 0, acc = 0, o = 0, left = 0;
  while (o < count) {
    while (bits < size) {
      if (left === 0) {
        if (at >= bytes.length) throw new Error("the GIF image data is truncated");
        left = bytes[at++];
        if (left === 0) throw new Error("the GIF image data ends before the frame is complete");
      }
      if (at >= bytes.length) throw new Error("the GIF image data is truncated");
      acc |= bytes[at++] << bits;
      bits += 8;
      left--;
    }
    const code = acc & ((1 << size) - 1);
    acc >>>= size;
    bits -= size;
    if (code === clear) {
      size = minCode + 1;
      next = end + 1;
      prev = -1;
      continue;
    }
    if (code === end) break;
    let c = code;
    let sp = 0;
    if (code >= next) {
      if (code > next || prev < 0) throw new Error("the GIF image data is corrupt");
      stack[sp++] = first[prev];
      c = prev;
    }
    while (c >= 0 && sp < stack.length) {
      stack[sp++] = suffix[c];
      c = prefix[c];
    }
    const head = stack[sp - 1];
    while (sp > 0 && o < count) out[o++] = stack[--sp];
    if (prev >= 0 && next < 4096) {
      prefix[next] = prev;
      suffix[next] = head;
      first[next] = first[prev];
      next++;
      if (next === 1 << size && size < 12) size++;
    }
    prev = code;
  }
  if (o < count) throw new Error("the GIF image data ends before the frame is complete");
  return out;
}
