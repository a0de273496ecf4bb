import assert from "node:assert/strict";
import { isFaceError } from "../../../lib/errors.ts";
import { decodeImage } from "../../../lib/image/mod.ts";
import { checkPngChunks, crc32 } from "../../../lib/image/_png_chunks.ts";
import { concat, encodePng, PNG_SIGNATURE, pngChunk } from "./_fixtures.ts";

/** A bitwise CRC-32, the definition the table-driven one must match. */
function slowCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

Deno.test("crc32() matches the bitwise definition for every length up to 40 and at offsets", () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
  for (let n = 0; n <= 40; n++) {
    assert.equal(crc32(bytes.subarray(0, n)), slowCrc(bytes.subarray(0, n)), `length ${n}`);
    assert.equal(crc32(bytes, 3, 3 + n), slowCrc(bytes.subarray(3, 3 + n)), `offset 3, ${n}`);
  }
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

/** A 4x3 palette PNG with tRNS, a text chunk and its image data split over two IDATs. */
async function richPng(): Promise<Uint8Array> {
  const plain = await encodePng({
    width: 4,
    height: 3,
    colorType: 3,
    bitDepth: 8,
    samples: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    palette: [255, 0, 0, 0, 255, 0, 0, 0, 255],
    trns: [255, 128, 0],
  });
  // Split: signature+IHDR+PLTE+tRNS | IDAT | IEND, then re-cut the IDAT payload into two chunks.
  const view = new DataView(plain.buffer);
  let offset = 8;
  const chunks: [string, Uint8Array][] = [];
  while (offset < plain.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...plain.subarray(offset + 4, offset + 8));
    chunks.push([type, plain.subarray(offset + 8, offset + 8 + length)]);
    offset += 12 + length;
  }
  const parts: Uint8Array[] = [PNG_SIGNATURE];
  for (const [type, data] of chunks) {
    if (type === "IDAT") {
      parts.push(pngChunk("tEXt", new TextEncoder().encode("Comment\0facegate")));
      parts.push(pngChunk("IDAT", data.subarray(0, 5)), pngChunk("IDAT", data.subarray(5)));
    } else {
      parts.push(pngChunk(type, data));
    }
  }
  return concat(...parts);
}

function chunkAt(png: Uint8Array, at: number): string {
  const view = new DataView(png.buffer, png.byteOffset);
  let offset = 8;
  while (true) {
    const end = offset + 12 + view.getUint32(offset);
    if (at < end) return String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    offset = end;
  }
}

Deno.test("decodeImage() refuses a PNG with any single flipped byte in any chunk as invalid_image", async () => {
  const png = await richPng();
  checkPngChunks(png);
  const ok = await decodeImage(png);
  assert.deepEqual([ok.width, ok.height], [4, 3]);
  const seen = new Map<string, number>();
  for (let at = 8; at < png.length; at++) {
    for (const mask of [0x01, 0x80]) {
      const bad = png.slice();
      bad[at] ^= mask;
      await assert.rejects(decodeImage(bad), (err: Error) => {
        assert.ok(isFaceError(err, "invalid_image"), `byte ${at} ^ ${mask}: ${err.message}`);
        return true;
      });
    }
    const type = chunkAt(png, at);
    seen.set(type, (seen.get(type) ?? 0) + 1);
  }
  // Every chunk type was hit: IHDR, PLTE, tRNS, tEXt, IDAT (two), IEND.
  assert.deepEqual([...seen.keys()].sort(), ["IDAT", "IEND", "IHDR", "PLTE", "tEXt", "tRNS"]);
});

Deno.test("decodeImage() names the chunk whose CRC fails and the reason for a broken structure", async () => {
  const png = await richPng();
  const reject = async (bytes: Uint8Array, message: RegExp) => {
    await assert.rejects(decodeImage(bytes), (err: Error) => {
      assert.ok(isFaceError(err, "invalid_image"), err.message);
      assert.match(err.message, message);
      return true;
    });
  };
  for (const type of ["PLTE", "tRNS", "tEXt", "IDAT"]) {
    const at = findType(png, type);
    const bad = png.slice();
    bad[at + 8] ^= 0xff; // first data byte
    await reject(bad, new RegExp(`PNG ${type} chunk at offset ${at} fails its CRC check`));
  }
  const ihdr = png.slice();
  ihdr[20] ^= 0x01; // height
  await reject(ihdr, /IHDR chunk fails its CRC check/);
  const iend = png.slice();
  iend[iend.length - 1] ^= 0x01;
  await reject(iend, /IEND chunk .* fails its CRC check/);
  await reject(png.subarray(0, png.length - 12), /truncated \(no IEND chunk\)/);
  await reject(png.subarray(0, png.length - 13), /truncated inside its IDAT chunk/);
  // Bytes after IEND are ignored, as every decoder does.
  const trailing = await decodeImage(concat(png, new Uint8Array([1, 2, 3])));
  assert.equal(trailing.width, 4);
});

function findType(png: Uint8Array, type: string): number {
  const view = new DataView(png.buffer, png.byteOffset);
  for (let offset = 8; offset < png.length; offset += 12 + view.getUint32(offset)) {
    if (String.fromCharCode(...png.subarray(offset + 4, offset + 8)) === type) return offset;
  }
  throw new Error(`no ${type} chunk`);
}
