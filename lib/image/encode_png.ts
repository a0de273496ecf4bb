import { crc32 } from "./_png_chunks.ts";
import type { Raster } from "./raster.ts";

/**
 * Encodes a raster as an 8-bit RGBA PNG (no filtering, zlib through `CompressionStream`): what
 * the server sends back as a preview of a format the browser cannot show (HEIC in Chromium).
 *
 * @param raster The pixels.
 * @returns The PNG file.
 * @throws {RangeError} When `raster.data` is not `width * height * 4` bytes long.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeImage } from "./decode_image.ts";
 * import { encodePng } from "./encode_png.ts";
 * const raster = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 255, 0, 0, 255, 128]) };
 * const back = await decodeImage(await encodePng(raster));
 * assert.deepEqual([...back.data], [...raster.data]);
 * ```
 */
export async function encodePng(raster: Raster): Promise<Uint8Array> {
  const { width, height, data } = raster;
  if (data.length !== width * height * 4) {
    throw new RangeError(`Cannot encode PNG: ${data.length} bytes for ${width}x${height} RGBA`);
  }
  const raw = new Uint8Array(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const stream = new Blob([raw as BlobPart]).stream().pipeThrough(new CompressionStream("deflate"));
  const idat = new Uint8Array(await new Response(stream).arrayBuffer());
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out, 4, 8 + payload.length));
  return out;
}
