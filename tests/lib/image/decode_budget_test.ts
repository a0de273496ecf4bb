import assert from "node:assert/strict";
import { isFaceError } from "../../../lib/errors.ts";
import { decodeImage, DEFAULT_MAX_DECODED_BYTES } from "../../../lib/image/mod.ts";
import { readJpegHeader, readPngHeader } from "../../../lib/image/_headers.ts";
import {
  jpegDecodeBytes,
  maxMegapixels,
  pngDecodeBytes,
  pngRasterBytes,
} from "../../../lib/image/_decode_cost.ts";
import {
  type BlankPngSpec,
  concat,
  encodeBlankPng,
  encodeFlatJpeg,
  PNG_SIGNATURE,
  pngChunk,
} from "./_fixtures.ts";

const MIB = 1024 * 1024;

async function refusedAsTooLarge(bytes: Uint8Array, options: object, message?: RegExp) {
  await assert.rejects(decodeImage(bytes, options), (err: Error) => {
    assert.ok(isFaceError(err, "image_too_large"), `${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** A PNG with only IHDR and IEND: anything that decodes it would fail, so a refusal is header-only. */
function headerOnlyPng(spec: BlankPngSpec): Uint8Array {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, spec.width);
  new DataView(ihdr.buffer).setUint32(4, spec.height);
  ihdr.set([spec.bitDepth, spec.colorType, 0, 0, 0], 8);
  return concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IEND", new Uint8Array(0)));
}

// -- PNG ----------------------------------------------------------------------------------------

const PNGS: [string, BlankPngSpec][] = [
  ["8-bit RGB", { width: 1000, height: 1000, colorType: 2, bitDepth: 8 }],
  ["8-bit RGBA", { width: 1200, height: 900, colorType: 6, bitDepth: 8 }],
  ["16-bit RGBA", { width: 1000, height: 1000, colorType: 6, bitDepth: 16 }],
  ["16-bit gray", { width: 1500, height: 1000, colorType: 0, bitDepth: 16 }],
];

for (const [name, spec] of PNGS) {
  Deno.test(`decodeImage() decodes a ${name} PNG at and just under maxDecodedBytes and refuses it just over`, async () => {
    const png = await encodeBlankPng(spec);
    const need = pngDecodeBytes(readPngHeader(png), png.length);
    // The estimate covers more than the raster at its stored depth (scanlines, RGBA, copy-out).
    assert.ok(need > pngRasterBytes(readPngHeader(png)) + spec.width * spec.height * 4);
    for (const budget of [need, need + 1]) {
      const r = await decodeImage(png, { maxDecodedBytes: budget });
      assert.equal(r.width, spec.width);
      assert.equal(r.height, spec.height);
    }
    await refusedAsTooLarge(
      png,
      { maxDecodedBytes: need - 1 },
      new RegExp(
        `${spec.width}x${spec.height} ${spec.bitDepth}-bit .*PNG needs about .* MiB to decode, ` +
          `over the limit of .* MiB; send a JPEG, or a PNG of at most \\d+(\\.\\d)? megapixels`,
      ),
    );
  });
}

Deno.test("decodeImage() refuses an over-budget PNG from its header alone, with the numbers in details", async () => {
  // 2000x2000 16-bit RGBA: 32 MB raster at stored depth, well over a 48 MiB decode with RGBA.
  const bomb = headerOnlyPng({ width: 2000, height: 2000, colorType: 6, bitDepth: 16 });
  await assert.rejects(decodeImage(bomb, { maxDecodedBytes: 64 * MIB }), (err: Error) => {
    assert.ok(isFaceError(err, "image_too_large"), err.message);
    assert.equal(err.details?.rasterBytes, 2000 * 2000 * 4 * 2);
    assert.equal(err.details?.maxDecodedBytes, 64 * MIB);
    assert.equal(err.details?.maxMegapixels, maxMegapixels(64 * MIB));
    assert.ok((err.details?.decodeBytes as number) > 64 * MIB);
    return true;
  });
  // The same header under a big enough budget gets to the decoder, which finds no IDAT.
  await assert.rejects(decodeImage(bomb, { maxDecodedBytes: 512 * MIB }), (err: Error) => {
    assert.ok(isFaceError(err, "invalid_image"), err.message);
    return true;
  });
});

Deno.test("maxMegapixels() names a size whose incompressible 8-bit RGBA PNG fits the budget", () => {
  for (const budget of [20 * MIB, 32 * MIB, DEFAULT_MAX_DECODED_BYTES, 64 * MIB, 256 * MIB]) {
    const mp = maxMegapixels(budget);
    assert.ok(mp > 0, `${budget}: ${mp}`);
    const side = Math.floor(Math.sqrt(mp * 1e6));
    const h = { width: side, height: side, bitDepth: 8, colorType: 6, interlaced: false };
    assert.ok(pngDecodeBytes(h, side * (side * 4 + 1) + 1000) <= budget, `${budget}: ${mp} MP`);
    const over = Math.ceil(Math.sqrt((mp + 0.2) * 1e6));
    const big = { ...h, width: over, height: over };
    assert.ok(pngDecodeBytes(big, over * (over * 4 + 1)) > budget, `${budget}: ${mp + 0.2} MP`);
  }
  assert.equal(maxMegapixels(MIB), 0);
});

Deno.test("decodeImage() refuses a 7000x7000 16-bit RGBA PNG by default without growing memory by 64 MiB", async () => {
  const png = await encodeBlankPng({ width: 7000, height: 7000, colorType: 6, bitDepth: 16 });
  const before = Deno.memoryUsage();
  const start = performance.now();
  await refusedAsTooLarge(png, {}, /7000x7000 16-bit RGBA PNG/);
  const ms = performance.now() - start;
  const after = Deno.memoryUsage();
  const grew = (after.rss - before.rss) / MIB;
  const heap = (after.heapUsed + after.external - before.heapUsed - before.external) / MIB;
  console.error(
    `7000x7000 16-bit RGBA PNG (${png.length} bytes): refused in ${ms.toFixed(1)} ms, ` +
      `RSS +${grew.toFixed(1)} MiB, heap+external +${heap.toFixed(1)} MiB`,
  );
  assert.ok(grew < 64, `RSS grew by ${grew} MiB`);
  assert.ok(heap < 64, `heap grew by ${heap} MiB`);
});

// -- JPEG ---------------------------------------------------------------------------------------

Deno.test("decodeImage() decodes a JPEG at the finest DCT scale within maxDecodedBytes", async () => {
  const jpeg = encodeFlatJpeg({ width: 2400, height: 1600, samples: [120, 90, 160] });
  const header = readJpegHeader(jpeg);
  const need = (scale: number) => jpegDecodeBytes(header, scale, jpeg.length);
  const sizes = [[1, 2400, 1600], [2, 1200, 800], [4, 600, 400], [8, 300, 200]] as const;
  for (const [scale, width, height] of sizes) {
    for (const budget of [need(scale), need(scale) + 1]) {
      const r = await decodeImage(jpeg, { maxDecodedBytes: budget });
      assert.deepEqual([r.width, r.height], [width, height], `1/${scale} at ${budget}`);
      assert.equal(r.data.length, width * height * 4);
    }
    if (scale < 8) {
      // Just over the budget of this scale: the next one.
      const r = await decodeImage(jpeg, { maxDecodedBytes: need(scale) - 1 });
      assert.deepEqual([r.width, r.height], [width / 2, height / 2], `1/${scale} - 1`);
    }
  }
  await refusedAsTooLarge(
    jpeg,
    { maxDecodedBytes: need(8) - 1 },
    /2400x1600 JPEG \(even at 1\/8 scale\) needs about/,
  );
});

Deno.test("decodeImage() lets maxDecodedBytes override a finer maxDimension, never a coarser one", async () => {
  const jpeg = encodeFlatJpeg({ width: 4000, height: 3000, samples: [120, 90, 160] });
  const need = (scale: number) => jpegDecodeBytes(readJpegHeader(jpeg), scale, jpeg.length);
  const fine = await decodeImage(jpeg, { maxDimension: 3000, maxDecodedBytes: need(2) - 1 });
  assert.deepEqual([fine.width, fine.height], [1000, 750]);
  const coarse = await decodeImage(jpeg, { maxDimension: 500, maxDecodedBytes: need(1) });
  assert.deepEqual([coarse.width, coarse.height], [500, 375]);
});

Deno.test("decodeImage() counts a progressive JPEG's full-size coefficients at every scale", () => {
  const base = encodeFlatJpeg({ width: 4000, height: 3000, samples: [1, 2, 3], headerOnly: true });
  const prog = encodeFlatJpeg({
    width: 4000,
    height: 3000,
    samples: [1, 2, 3],
    headerOnly: true,
    sofMarker: 0xc2,
  });
  const b = readJpegHeader(base), p = readJpegHeader(prog);
  // 4000x3000 4:4:4: 3 components x 12 M samples x 2 bytes of coefficients.
  assert.ok(jpegDecodeBytes(p, 8, 0) - jpegDecodeBytes(b, 8, 0) >= 3 * 12e6 * 2);
  assert.ok(jpegDecodeBytes(p, 8, 0) > 64 * MIB);
});

Deno.test("decodeImage() refuses a progressive JPEG that does not fit even at 1/8 scale", async () => {
  const prog = concat(
    encodeFlatJpeg({
      width: 6000,
      height: 4000,
      samples: [1, 2, 3],
      headerOnly: true,
      sofMarker: 0xc2,
    }),
    new Uint8Array([0xff, 0xd9]),
  );
  const need = jpegDecodeBytes(readJpegHeader(prog), 8, prog.length);
  await refusedAsTooLarge(
    prog,
    { maxDecodedBytes: need - 1 },
    /6000x4000 JPEG \(even at 1\/8 scale\).*send a JPEG, or a PNG of at most/,
  );
  // At its budget the header passes and the (missing) scan data fails in the decoder.
  await assert.rejects(decodeImage(prog, { maxDecodedBytes: need }), (err: Error) => {
    assert.ok(isFaceError(err, "invalid_image"), err.message);
    return true;
  });
});

Deno.test("decodeImage() counts the EXIF rotation copy in a JPEG's budget", async () => {
  const plain = encodeFlatJpeg({ width: 800, height: 600, samples: [100] });
  const { withExif, exifTiff } = await import("./_fixtures.ts");
  const rotated = withExif(plain, exifTiff(6, true));
  const h = readJpegHeader(rotated);
  const need = jpegDecodeBytes(h, 1, rotated.length, true);
  assert.ok(need - jpegDecodeBytes(h, 1, rotated.length, false) === 800 * 600 * 4);
  const r = await decodeImage(rotated, { maxDecodedBytes: need });
  assert.deepEqual([r.width, r.height], [600, 800]);
  const half = await decodeImage(rotated, { maxDecodedBytes: need - 1 });
  assert.deepEqual([half.width, half.height], [300, 400]);
});

Deno.test("decodeImage() throws RangeError for a non-positive maxDecodedBytes", async () => {
  const jpeg = encodeFlatJpeg({ width: 8, height: 8, samples: [1] });
  for (const bad of [0, -1, NaN]) {
    await assert.rejects(decodeImage(jpeg, { maxDecodedBytes: bad }), RangeError);
  }
});

Deno.test("decodeImage() reuses one codec instance: 20 decodes of a 7071x7071 JPEG keep one decode's wasm memory, and a failed decode drops the instance", async () => {
  const jpeg = encodeFlatJpeg({ width: 7071, height: 7071, samples: [120, 90, 160] });
  const broken = jpeg.slice();
  broken.fill(0xff, 600, 2000);
  const Instance = WebAssembly.Instance;
  const made: WebAssembly.Instance[] = [];
  // Count the codec instances the decodes create.
  WebAssembly.Instance = function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
    const instance = new Instance(module, imports);
    made.push(instance);
    return instance;
  } as unknown as typeof WebAssembly.Instance;
  const memory = () => (made[0].exports.memory as WebAssembly.Memory).buffer.byteLength;
  try {
    // A corrupt stream fails its decode and drops whatever instance there was.
    await assert.rejects(decodeImage(broken, { maxDimension: 960 }));
    made.length = 0;
    const before = Deno.memoryUsage().rss;
    const sizes: number[] = [];
    for (let i = 0; i < 20; i++) {
      // As the pipeline asks for detection: a longer side of at least 960 px (here 1/4 scale).
      const r = await decodeImage(jpeg, { maxDimension: 960 });
      assert.deepEqual([r.width, r.height], [1768, 1768]);
      sizes.push(memory());
    }
    const grew = (Deno.memoryUsage().rss - before) / MIB;
    console.error(
      `20 decodes of a ${jpeg.length}-byte 7071x7071 JPEG at 1/4: ${made.length} codec ` +
        `instance, wasm memory ${(sizes[0] / MIB).toFixed(1)} MiB, RSS +${grew.toFixed(1)} MiB`,
    );
    assert.equal(made.length, 1, `${made.length} instances for 20 decodes`);
    assert.ok(sizes.every((s) => s === sizes[0]), "the linear memory does not grow per decode");
    assert.ok(sizes[0] <= DEFAULT_MAX_DECODED_BYTES, `${sizes[0]} bytes of wasm memory`);
    // After another failure the next decode runs on a fresh instance, and succeeds.
    await assert.rejects(decodeImage(broken, { maxDimension: 960 }));
    assert.equal((await decodeImage(jpeg, { maxDimension: 960 })).width, 1768);
    assert.equal(made.length, 2, "a fresh instance after the failure");
  } finally {
    WebAssembly.Instance = Instance;
  }
});
