import assert from "node:assert/strict";
import { isFaceError } from "../../../lib/errors.ts";
import { decodeImage, type Raster } from "../../../lib/image/mod.ts";
import {
  concat,
  encodeFlatJpeg,
  encodePng,
  exifTiff,
  PNG_SIGNATURE,
  pngChunk,
  readData,
  TINY_JPEGS,
  withExif,
} from "./_fixtures.ts";

function pixel(r: Raster, x: number, y: number): number[] {
  const i = (y * r.width + x) * 4;
  return Array.from(r.data.subarray(i, i + 4));
}

function near(actual: number[], expected: number[], tolerance: number, label = ""): void {
  assert.ok(
    actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance),
    `${label} ${JSON.stringify(actual)} is not within ${tolerance} of ${JSON.stringify(expected)}`,
  );
}

function assertRaster(r: Raster, width: number, height: number): void {
  assert.equal(r.width, width);
  assert.equal(r.height, height);
  assert.ok(r.data instanceof Uint8Array);
  assert.equal(r.data.length, width * height * 4);
}

async function rejectsWith(bytes: Uint8Array, code: string, message?: RegExp, options = {}) {
  await assert.rejects(decodeImage(bytes, options), (err: Error) => {
    assert.ok(isFaceError(err), `expected a FaceError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

// -- JPEG ---------------------------------------------------------------------------------------

// The tiny JPEGs' quadrants: top-left, top-right, bottom-left, bottom-right.
const QUADRANTS = [[220, 200, 100], [30, 200, 100], [220, 40, 100], [30, 40, 100]];
const CORNERS = [[1, 1], [14, 1], [1, 10], [14, 10]];

for (const kind of ["baseline", "progressive"] as const) {
  Deno.test(`decodeImage() decodes a ${kind} JPEG to opaque RGBA`, async () => {
    const r = await decodeImage(TINY_JPEGS[kind]);
    assertRaster(r, 16, 12);
    CORNERS.forEach(([x, y], i) => near(pixel(r, x, y), [...QUADRANTS[i], 255], 8, `${x},${y}`));
  });
}

Deno.test("decodeImage() expands a grayscale JPEG to equal RGB channels", async () => {
  const r = await decodeImage(TINY_JPEGS.gray);
  assertRaster(r, 16, 12);
  const [g0, g1, g2, a] = pixel(r, 1, 1);
  assert.ok(g0 === g1 && g1 === g2 && a === 255);
  near([g0], [173], 8);
  near(pixel(r, 14, 10), [57, 57, 57, 255], 8);
});

Deno.test("decodeImage() decodes exact values of hand-made gray and YCbCr JPEGs", async () => {
  const gray = await decodeImage(encodeFlatJpeg({ width: 9, height: 17, samples: [77] }));
  assertRaster(gray, 9, 17);
  assert.deepEqual(pixel(gray, 8, 16), [77, 77, 77, 255]);
  const ycc = await decodeImage(encodeFlatJpeg({ width: 20, height: 9, samples: [200, 128, 128] }));
  assertRaster(ycc, 20, 9);
  assert.deepEqual(pixel(ycc, 19, 8), [200, 200, 200, 255]);
});

Deno.test("decodeImage() converts an Adobe CMYK JPEG to RGB", async () => {
  // Adobe stores CMYK inverted: 255 is no ink. C none, M full, Y half, K 200/255 of paper left.
  const cmyk = encodeFlatJpeg({
    width: 8,
    height: 8,
    samples: [255, 0, 128, 200],
    adobeTransform: 0,
  });
  const r = await decodeImage(cmyk);
  assertRaster(r, 8, 8);
  near(pixel(r, 3, 3), [200, 0, 100, 255], 2);
});

Deno.test("decodeImage() decodes a real 250x250 JPEG photo", async () => {
  const r = await decodeImage(await readData("faces/Aaron_Eckhart/Aaron_Eckhart_0001.jpg"));
  assertRaster(r, 250, 250);
  assert.ok(r.data.some((v, i) => i % 4 !== 3 && v > 50), "the photo is not blank");
});

Deno.test("decodeImage() sniffs a PNG saved with a .jpg name", async () => {
  const r = await decodeImage(await readData("faces-misc/pose_insightface_rot_90.jpg"));
  assertRaster(r, 402, 325);
});

// -- EXIF orientation ---------------------------------------------------------------------------

for (const little of [true, false]) {
  Deno.test(
    `decodeImage() turns a JPEG upright from ${
      little ? "little" : "big"
    }-endian EXIF orientation 6`,
    async () => {
      const r = await decodeImage(withExif(TINY_JPEGS.baseline, exifTiff(6, little)));
      assertRaster(r, 12, 16);
      // Turned clockwise: the stored bottom-left quadrant is now top-left.
      near(pixel(r, 1, 1), [...QUADRANTS[2], 255], 8);
      near(pixel(r, 10, 1), [...QUADRANTS[0], 255], 8);
      near(pixel(r, 1, 14), [...QUADRANTS[3], 255], 8);
    },
  );
}

Deno.test("decodeImage() applies every EXIF orientation and swaps sides for 5 to 8", async () => {
  for (let o = 1; o <= 8; o++) {
    const r = await decodeImage(withExif(TINY_JPEGS.baseline, exifTiff(o, true)));
    if (o >= 5) assertRaster(r, 12, 16);
    else assertRaster(r, 16, 12);
  }
  const r3 = await decodeImage(withExif(TINY_JPEGS.baseline, exifTiff(3, false)));
  near(pixel(r3, 1, 1), [...QUADRANTS[3], 255], 8);
});

Deno.test("decodeImage() keeps stored pixels when applyExifOrientation is false", async () => {
  const r = await decodeImage(withExif(TINY_JPEGS.baseline, exifTiff(6, true)), {
    applyExifOrientation: false,
  });
  assertRaster(r, 16, 12);
  near(pixel(r, 1, 1), [...QUADRANTS[0], 255], 8);
});

Deno.test("decodeImage() ignores a malformed EXIF block", async () => {
  const r = await decodeImage(withExif(TINY_JPEGS.baseline, new Uint8Array([1, 2, 3])));
  assertRaster(r, 16, 12);
});

// -- PNG ----------------------------------------------------------------------------------------

const PNG_CASES: [string, Parameters<typeof encodePng>[0], number[][]][] = [
  ["8-bit RGB", {
    width: 2,
    height: 1,
    colorType: 2,
    bitDepth: 8,
    samples: [255, 0, 0, 0, 128, 255],
  }, [
    [255, 0, 0, 255],
    [0, 128, 255, 255],
  ]],
  [
    "8-bit RGBA",
    { width: 2, height: 1, colorType: 6, bitDepth: 8, samples: [255, 0, 0, 10, 0, 128, 255, 200] },
    [[255, 0, 0, 10], [0, 128, 255, 200]],
  ],
  ["8-bit grayscale", { width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [7, 200] }, [
    [7, 7, 7, 255],
    [200, 200, 200, 255],
  ]],
  ["1-bit grayscale", { width: 3, height: 1, colorType: 0, bitDepth: 1, samples: [1, 0, 1] }, [
    [255, 255, 255, 255],
    [0, 0, 0, 255],
    [255, 255, 255, 255],
  ]],
  ["4-bit grayscale", { width: 3, height: 1, colorType: 0, bitDepth: 4, samples: [15, 0, 8] }, [
    [255, 255, 255, 255],
    [0, 0, 0, 255],
    [136, 136, 136, 255],
  ]],
  [
    "16-bit grayscale",
    { width: 2, height: 1, colorType: 0, bitDepth: 16, samples: [0x1234, 0xff00] },
    [[18, 18, 18, 255], [255, 255, 255, 255]],
  ],
  [
    "8-bit grayscale+alpha",
    { width: 2, height: 1, colorType: 4, bitDepth: 8, samples: [7, 100, 200, 255] },
    [[7, 7, 7, 100], [200, 200, 200, 255]],
  ],
  [
    "16-bit grayscale+alpha",
    { width: 2, height: 1, colorType: 4, bitDepth: 16, samples: [0x0700, 0x6400, 0xc800, 0xffff] },
    [[7, 7, 7, 100], [200, 200, 200, 255]],
  ],
  [
    "16-bit RGB",
    {
      width: 2,
      height: 1,
      colorType: 2,
      bitDepth: 16,
      samples: [0xff00, 0, 0x8000, 0, 0x1200, 0xffff],
    },
    [[255, 0, 128, 255], [0, 18, 255, 255]],
  ],
  [
    "16-bit RGBA",
    { width: 1, height: 1, colorType: 6, bitDepth: 16, samples: [0xff00, 0x1000, 0x8000, 0x6400] },
    [[255, 16, 128, 100]],
  ],
  [
    "8-bit palette with tRNS",
    {
      width: 3,
      height: 1,
      colorType: 3,
      bitDepth: 8,
      samples: [0, 1, 2],
      palette: [255, 0, 0, 0, 255, 0, 0, 0, 255],
      trns: [0, 128],
    },
    [[255, 0, 0, 0], [0, 255, 0, 128], [0, 0, 255, 255]],
  ],
  [
    "2-bit palette",
    {
      width: 3,
      height: 1,
      colorType: 3,
      bitDepth: 2,
      samples: [0, 1, 2],
      palette: [255, 0, 0, 0, 255, 0, 0, 0, 255],
    },
    [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]],
  ],
  [
    "8-bit grayscale with a tRNS colour key",
    { width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [7, 200], trns: [0, 7] },
    [[0, 0, 0, 0], [200, 200, 200, 255]],
  ],
];

for (const [name, spec, expected] of PNG_CASES) {
  Deno.test(`decodeImage() decodes a ${name} PNG to 8-bit RGBA`, async () => {
    const r = await decodeImage(await encodePng(spec));
    assertRaster(r, spec.width, spec.height);
    assert.deepEqual(expected.map((_, x) => pixel(r, x, 0)), expected);
  });
}

Deno.test("decodeImage() decodes a real 32-bit RGBA PNG photo", async () => {
  const r = await decodeImage(await readData("faces-misc/quality_face_recognition_32bit.png"));
  assertRaster(r, 626, 1200);
});

Deno.test("decodeImage() ignores maxDimension for PNGs", async () => {
  const png = await encodePng({
    width: 40,
    height: 2,
    colorType: 0,
    bitDepth: 8,
    samples: new Array(80).fill(9),
  });
  assertRaster(await decodeImage(png, { maxDimension: 10 }), 40, 2);
});

// -- maxDimension -------------------------------------------------------------------------------

Deno.test("decodeImage() scales a large JPEG down in the DCT domain with maxDimension", async () => {
  const bytes = await readData("faces-misc/multi_dlib_bald_guys.jpg");
  assertRaster(await decodeImage(bytes), 1986, 1545);
  assertRaster(await decodeImage(bytes, { maxDimension: 500 }), 993, 773);
  assertRaster(await decodeImage(bytes, { maxDimension: 400 }), 497, 387);
  assertRaster(await decodeImage(bytes, { maxDimension: 200 }), 249, 194);
  assertRaster(await decodeImage(bytes, { maxDimension: 100 }), 249, 194);
  assertRaster(await decodeImage(bytes, { maxDimension: 5000 }), 1986, 1545);
});

Deno.test("decodeImage() keeps the longer side at least maxDimension and orients after scaling", async () => {
  const jpeg = withExif(
    encodeFlatJpeg({ width: 640, height: 96, samples: [90] }),
    exifTiff(8, true),
  );
  for (const maxDimension of [50, 79, 80, 81, 160, 300, 639, 640, 1000]) {
    const r = await decodeImage(jpeg, { maxDimension });
    assert.ok(r.width < r.height, "orientation 8 makes it portrait");
    assert.ok(r.height >= Math.min(640, maxDimension), `${maxDimension} -> ${r.width}x${r.height}`);
    assert.deepEqual(pixel(r, 0, 0), [90, 90, 90, 255]);
  }
});

// -- limits -------------------------------------------------------------------------------------

Deno.test("decodeImage() refuses input over maxBytes with image_too_large", async () => {
  await rejectsWith(TINY_JPEGS.baseline, "image_too_large", /bytes exceed the limit of 100/, {
    maxBytes: 100,
  });
  await rejectsWith(new Uint8Array(20 * 1024 * 1024 + 1), "image_too_large");
});

Deno.test("decodeImage() refuses a PNG whose header declares too many pixels before decoding", async () => {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 100_000);
  new DataView(ihdr.buffer).setUint32(4, 100_000);
  ihdr.set([8, 2, 0, 0, 0], 8);
  // No IDAT at all: the refusal must come from the header alone.
  const bomb = concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr));
  await rejectsWith(bomb, "image_too_large", /100000x100000 exceeds the limit of 50000000/);
  const small = await encodePng({
    width: 10,
    height: 10,
    colorType: 0,
    bitDepth: 8,
    samples: new Array(100).fill(0),
  });
  await rejectsWith(small, "image_too_large", undefined, { maxPixels: 99 });
  assertRaster(await decodeImage(small, { maxPixels: 100 }), 10, 10);
});

Deno.test("decodeImage() refuses a JPEG whose frame header declares too many pixels", async () => {
  const huge = encodeFlatJpeg({ width: 65535, height: 1, samples: [1] });
  await rejectsWith(huge, "image_too_large", /65535x1/, { maxPixels: 65534 });
  // A header-only bomb (no scan data at all) is refused as too large, not as truncated.
  const bomb = encodeFlatJpeg({ width: 60000, height: 60000, samples: [1], headerOnly: true });
  await rejectsWith(bomb, "image_too_large", /60000x60000 exceeds the limit of 50000000/);
});

// -- refusals -----------------------------------------------------------------------------------

const FOREIGN: [string, Uint8Array][] = [
  ["image/bmp", new TextEncoder().encode("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00")],
  ["image/tiff", new Uint8Array([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0])],
  ["image/tiff", new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8])],
  ["image/jxl", new Uint8Array([0xff, 0x0a, 0xfa, 0x7f])],
  ["application/pdf", new TextEncoder().encode("%PDF-1.7\n")],
];

for (const [format, bytes] of FOREIGN) {
  Deno.test(`decodeImage() refuses ${format} with unsupported_media_type naming it and the accepted formats`, async () => {
    await rejectsWith(
      bytes,
      "unsupported_media_type",
      new RegExp(
        `unsupported format "${format}"; accepted: image/jpeg, image/png, image/webp, ` +
          `image/heic, image/avif, image/gif`,
      ),
    );
  });
}

const HEADERS_ONLY: [string, Uint8Array][] = [
  ["image/gif", new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;")],
  ["image/webp", new TextEncoder().encode("RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00")],
  ["image/heic", new TextEncoder().encode("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")],
  ["image/avif", new TextEncoder().encode("\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1")],
];

for (const [format, bytes] of HEADERS_ONLY) {
  Deno.test(`decodeImage() refuses a ${format} that ends after its signature with invalid_image`, async () => {
    await rejectsWith(bytes, "invalid_image", /Cannot decode image: the .* (truncated|has no)/);
  });
}

Deno.test("decodeImage() decodes a real WebP saved with a .jpg name", async () => {
  const r = await decodeImage(await readData("faces/deepface_Scarlett/img47.jpg"));
  assert.ok(r.width > 100 && r.height > 100, `${r.width}x${r.height}`);
  assert.equal(r.data.length, r.width * r.height * 4);
});

Deno.test("decodeImage() refuses empty input with invalid_image", async () => {
  await rejectsWith(new Uint8Array(0), "invalid_image", /the data is empty/);
});

Deno.test("decodeImage() refuses unrecognised bytes with invalid_image", async () => {
  await rejectsWith(
    new TextEncoder().encode("hello, not an image"),
    "invalid_image",
    /not a JPEG, PNG, WebP, HEIC, AVIF or GIF image/,
  );
  await rejectsWith(new Uint8Array([0xff, 0xd8]), "invalid_image");
});

Deno.test("decodeImage() refuses a truncated JPEG with invalid_image", async () => {
  const jpeg = TINY_JPEGS.baseline;
  await rejectsWith(jpeg.subarray(0, jpeg.length - 2), "invalid_image", /truncated/);
  await rejectsWith(jpeg.subarray(0, 30), "invalid_image", /truncated/);
});

Deno.test("decodeImage() refuses a PNG with a corrupt IDAT with invalid_image and a cause", async () => {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 4);
  new DataView(ihdr.buffer).setUint32(4, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = concat(
    PNG_SIGNATURE,
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
    pngChunk("IEND", new Uint8Array(0)),
  );
  await assert.rejects(decodeImage(png), (err: Error) => {
    assert.ok(isFaceError(err, "invalid_image"));
    assert.match(err.message, /^Cannot decode image: the PNG data is corrupt or truncated$/);
    assert.ok(err.cause instanceof Error);
    return true;
  });
});

Deno.test("decodeImage() refuses a PNG with an impossible IHDR with invalid_image", async () => {
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, 4);
  new DataView(ihdr.buffer).setUint32(4, 4);
  ihdr.set([3, 2, 0, 0, 0], 8); // RGB at 3 bits
  await rejectsWith(
    concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr)),
    "invalid_image",
    /colour type 2/,
  );
});

Deno.test("decodeImage() throws TypeError and RangeError for programmer mistakes", async () => {
  await assert.rejects(decodeImage("abc" as unknown as Uint8Array), TypeError);
  await assert.rejects(decodeImage(TINY_JPEGS.baseline, { maxBytes: 0 }), RangeError);
  await assert.rejects(decodeImage(TINY_JPEGS.baseline, { maxPixels: NaN }), RangeError);
  await assert.rejects(decodeImage(TINY_JPEGS.baseline, { maxDimension: -1 }), RangeError);
});

Deno.test("decodeImage() decodes bytes that are a view into a larger buffer", async () => {
  const backing = concat(new Uint8Array(3), TINY_JPEGS.baseline, new Uint8Array(5));
  assertRaster(await decodeImage(backing.subarray(3, 3 + TINY_JPEGS.baseline.length)), 16, 12);
});

// -- fuzz ---------------------------------------------------------------------------------------

/** Decodes and asserts the outcome is a valid raster or a FaceError, never anything else. */
async function survives(bytes: Uint8Array, label: string): Promise<"ok" | string> {
  try {
    const r = await decodeImage(bytes);
    assert.equal(r.data.length, r.width * r.height * 4, label);
    return "ok";
  } catch (err) {
    assert.ok(isFaceError(err), `${label}: ${(err as Error)?.stack}`);
    return err.code;
  }
}

function random(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

Deno.test("decodeImage() refuses every truncation of a real JPEG with invalid_image", async () => {
  const jpeg = await readData("faces/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
  for (let cut = 1; cut < jpeg.length - 1; cut += Math.max(1, Math.floor(cut / 8))) {
    assert.equal(
      await survives(jpeg.subarray(0, cut), `cut ${cut}`),
      "invalid_image",
      `cut ${cut}`,
    );
  }
});

Deno.test("decodeImage() refuses every truncation of a PNG with invalid_image", async () => {
  const png = await readData("faces-misc/noface_insightface_no_face.png");
  for (let cut = 1; cut < png.length - 12; cut += Math.max(1, Math.floor(cut / 8))) {
    assert.equal(await survives(png.subarray(0, cut), `cut ${cut}`), "invalid_image", `cut ${cut}`);
  }
});

Deno.test("decodeImage() answers random bytes and corrupted images with a raster or a FaceError", async () => {
  const rnd = random(42);
  const jpeg = await readData("faces/Aaron_Eckhart/Aaron_Eckhart_0001.jpg");
  const png = await encodePng({
    width: 16,
    height: 16,
    colorType: 6,
    bitDepth: 8,
    samples: Array.from({ length: 16 * 16 * 4 }, () => Math.floor(rnd() * 256)),
  });
  const prefixes = [new Uint8Array(0), jpeg.subarray(0, 3), PNG_SIGNATURE, jpeg.subarray(0, 200)];
  for (let n = 0; n < 200; n++) {
    const noise = Uint8Array.from(
      { length: Math.floor(rnd() * 400) },
      () => Math.floor(rnd() * 256),
    );
    await survives(concat(prefixes[n % prefixes.length], noise), `noise ${n}`);
  }
  for (const [name, image] of [["jpeg", jpeg], ["png", png]] as const) {
    for (let n = 0; n < 150; n++) {
      const copy = image.slice();
      for (let k = 0; k < 1 + (n % 4); k++) {
        copy[Math.floor(rnd() * copy.length)] = Math.floor(rnd() * 256);
      }
      await survives(copy, `${name} flip ${n}`);
    }
  }
});
