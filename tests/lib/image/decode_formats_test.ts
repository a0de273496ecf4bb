/**
 * HEIC, WebP, AVIF and GIF made at test time from a dev photo (Debian's heif-enc, cwebp, avifenc,
 * ImageMagick; nothing converted is committed): each decodes to the JPEG's pixels and the same
 * face, orientation and depth are handled, and corrupt, truncated or oversized files get the
 * right FaceError. Without the tools the suite is ignored (skipped), never passed.
 */
import assert from "node:assert/strict";
import { decodeImage, type Raster, readImageSize } from "../../../lib/image/mod.ts";
import { FaceError } from "../../../lib/errors.ts";
import { heifOrientation } from "../../../lib/image/_decode_formats.ts";
import { heicDecodeBytes, webpDecodeBytes } from "../../../lib/image/_decode_cost_formats.ts";
import { decodeHeifWasm } from "../../../lib/image/_emscripten_codecs.ts";
import { readHeifHeader } from "../../../lib/image/_heif_header.ts";
import { readWebpHeader } from "../../../lib/image/_webp.ts";
import { loadImageCodec } from "../../../lib/image/set_image_codecs.ts";
import { analyzeImage } from "../../../lib/pipeline/analyze_image.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { dataDir, sessions } from "../../_data.ts";
import { convertPhoto, fixtureDir, formatTools, type Target } from "./_format_fixtures.ts";
import { gridHeic, tileParts } from "./_heif_grid.ts";

const THRESHOLD = MODEL_MANIFEST.embedder.thresholds.verify!;
const missing = await formatTools();
const ignore = missing.length > 0;
if (ignore) console.warn(`decode_formats_test: ignored, missing ${missing.join(", ")}`);
/** A dev photo stored 640×480 with EXIF orientation 6: 480×640 once upright. */
const PHOTO = "faces-misc/pose_insightface_image_T1.jpeg";
const MIB = 1024 * 1024;

const dir = ignore ? "" : await fixtureDir();
const src = ignore ? "" : `${dataDir()}/${PHOTO}`;
const cache = new Map<string, Promise<Uint8Array>>();
/** Converts once per target and size for the whole file. */
function fixture(target: Target, size?: string): Promise<Uint8Array> {
  const key = `${target} ${size}`;
  if (!cache.has(key)) cache.set(key, convertPhoto(dir, src, target, size));
  return cache.get(key)!;
}

function meanAbsDiff(a: Raster, b: Raster): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  let s = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    for (let c = 0; c < 3; c++) s += Math.abs(a.data[i + c] - b.data[i + c]);
  }
  return s / (a.width * a.height * 3);
}

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

async function embed(bytes: Uint8Array): Promise<Float32Array> {
  const r = await analyzeImage({ sessions }, bytes, { select: "largest", requireFace: true });
  return r.faces[0].embedding!;
}

async function rejectsWith(bytes: Uint8Array, code: string, message?: RegExp, options = {}) {
  await assert.rejects(decodeImage(bytes, options), (err: unknown) => {
    assert.ok(err instanceof FaceError, `not a FaceError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Per target: the largest mean absolute RGB difference allowed from the JPEG's pixels. */
const TARGETS: [Target, number][] = [
  ["heic", 6],
  ["heic-grid", 6],
  ["heic-10bit", 6],
  ["webp", 6],
  ["webp-lossless", 1],
  ["webp-animated", 6],
  ["avif", 6],
  ["avif-10bit", 6],
  ["gif", 12],
  ["gif-animated", 12],
];

const distances: Record<string, number> = {};

for (const [target, maxDiff] of TARGETS) {
  Deno.test({
    name: `decodeImage() decodes a ${target} of a dev photo to the JPEG's pixels and face`,
    ignore,
    async fn() {
      const jpeg = await Deno.readFile(src);
      const bytes = await fixture(target);
      const twin = await decodeImage(jpeg);
      const r = await decodeImage(bytes);
      assert.deepEqual(readImageSize(bytes), { width: r.width, height: r.height });
      const diff = meanAbsDiff(r, twin);
      assert.ok(diff < maxDiff, `mean |RGB difference| ${diff.toFixed(2)} from the JPEG`);
      const d = distance(await embed(bytes), await embed(jpeg));
      distances[target] = d;
      assert.ok(d < THRESHOLD / 3, `embedding distance ${d} to the JPEG twin`);
    },
  });
}

Deno.test({
  name: "decodeImage() turns an AVIF upright by its irot as the JPEG by its EXIF orientation",
  ignore,
  async fn() {
    // avifenc carries the JPEG's EXIF orientation 6 over as irot 3 (no -auto-orient here).
    const avif = `${dir}/oriented.avif`;
    const out = await new Deno.Command("avifenc", { args: ["-s", "10", src, avif] }).output();
    assert.ok(out.success);
    const bytes = await Deno.readFile(avif);
    assert.equal(readHeifHeader(bytes).rotation, 3);
    const r = await decodeImage(bytes);
    const twin = await decodeImage(await Deno.readFile(src));
    assert.ok(meanAbsDiff(r, twin) < 6);
    const stored = await decodeImage(bytes, { applyExifOrientation: false });
    assert.deepEqual([stored.width, stored.height], [twin.height, twin.width]);
  },
});

Deno.test({
  name: "decodeImage() applies a WebP's EXIF orientation",
  ignore,
  async fn() {
    const webp = `${dir}/oriented.webp`;
    const args = ["-quiet", "-q", "90", "-metadata", "exif", src, "-o", webp];
    assert.ok((await new Deno.Command("cwebp", { args }).output()).success);
    const bytes = await Deno.readFile(webp);
    assert.ok(readWebpHeader(bytes).exif, "cwebp kept the EXIF chunk");
    const r = await decodeImage(bytes);
    const twin = await decodeImage(await Deno.readFile(src));
    assert.ok(meanAbsDiff(r, twin) < 6);
  },
});

Deno.test("heifOrientation() maps irot and imir to EXIF orientations", () => {
  const cases: [number, 0 | 1 | undefined, number][] = [
    [0, undefined, 1],
    [1, undefined, 8],
    [2, undefined, 3],
    [3, undefined, 6],
    [0, 0, 2],
    [0, 1, 4],
    [1, 0, 7],
    [3, 0, 5],
  ];
  for (const [rotation, mirror, exif] of cases) {
    assert.equal(heifOrientation({ rotation, mirror }), exif, `irot ${rotation} imir ${mirror}`);
  }
});

Deno.test({
  name: "decodeImage() turns a grid HEIC upright by its irot",
  ignore,
  async fn() {
    const grid = readHeifHeader(await fixture("heic-grid"));
    assert.deepEqual([grid.grid?.tiles, grid.rotation], [2, 0]);
    const rotated = await fixture("heic-grid-irot");
    const h = readHeifHeader(rotated);
    assert.deepEqual([h.width, h.height, h.rotation, h.grid?.tiles], [640, 480, 1, 2]);
    assert.deepEqual(readImageSize(rotated), { width: 480, height: 640 });
    const r = await decodeImage(rotated);
    const twin = await decodeImage(await Deno.readFile(src));
    assert.ok(meanAbsDiff(r, twin) < 6);
  },
});

// -- limits -------------------------------------------------------------------------------------

Deno.test({
  name: "decodeImage() decodes a WebP at its estimate and refuses it one byte under with 413",
  ignore,
  async fn() {
    const bytes = await fixture("webp");
    const need = webpDecodeBytes(readWebpHeader(bytes), bytes.length, false);
    const r = await decodeImage(bytes, { maxDecodedBytes: need });
    assert.equal(r.width, 480);
    await rejectsWith(
      bytes,
      "image_too_large",
      /a 480x640 WebP needs about .* send a JPEG, or a WebP of at most \d/,
      {
        maxDecodedBytes: need - 1,
      },
    );
  },
});

Deno.test({
  name: "decodeImage() decodes a grid HEIC at 1/2 just under its full-size estimate",
  ignore,
  async fn() {
    const bytes = await fixture("heic-grid");
    const h = readHeifHeader(bytes);
    const full = heicDecodeBytes(h, bytes.length, 1, false);
    assert.equal((await decodeImage(bytes, { maxDecodedBytes: full })).width, 480);
    const half = await decodeImage(bytes, { maxDecodedBytes: full - 1 });
    assert.deepEqual([half.width, half.height], [240, 320]);
    // maxDimension asks for the strongest reduction that keeps the longer side.
    const small = await decodeImage(bytes, { maxDimension: 160 });
    assert.deepEqual([small.width, small.height], [120, 160]);
  },
});

Deno.test({
  name:
    "decodeImage() decodes a 48 MP grid HEIC reduced within the default budget, one tile in the codec",
  ignore,
  async fn() {
    const tile = tileParts(await convertPhoto(dir, src, "heic", "512x512"));
    const bytes = gridHeic(Array(16 * 12).fill(tile), 16, 12, 512, 8000, 6000);
    const r = await decodeImage(bytes);
    const scale = 8000 / r.width;
    assert.ok(scale === 4 || scale === 8, `decoded at ${r.width}x${r.height}`);
    assert.equal(r.height, 6000 / scale);
    const frame = await decodeHeifWasm(await loadImageCodec("heif"), bytes, scale);
    const h = readHeifHeader(bytes);
    const used = frame.wasmBytes + frame.data.length;
    const estimate = heicDecodeBytes(h, bytes.length, scale, false);
    assert.ok(used <= estimate, `codec ${frame.wasmBytes / MIB} MiB + RGBA over ${estimate / MIB}`);
    assert.ok(estimate <= 48 * MIB);
  },
});

/** Rewrites every `ispe` box of a HEIF to `width`×`height` (a header that lies about its size). */
function patchIspe(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let i = 4; i + 16 < out.length; i++) {
    if (out[i] === 0x69 && out[i + 1] === 0x73 && out[i + 2] === 0x70 && out[i + 3] === 0x65) {
      view.setUint32(i + 8, width);
      view.setUint32(i + 12, height);
    }
  }
  return out;
}

Deno.test({
  name: "decodeImage() refuses a 48 MP single-image HEIC and AVIF from the header with 413",
  ignore,
  async fn() {
    for (const target of ["heic", "avif"] as const) {
      const bytes = patchIspe(await fixture(target), 8000, 6000);
      const kind = target === "heic" ? "HEIC \\(even at 1/8 scale\\)" : "8-bit AVIF";
      await rejectsWith(
        bytes,
        "image_too_large",
        new RegExp(`a 8000x6000 ${kind} needs about \\d+ MiB`),
      );
      await rejectsWith(bytes, "image_too_large", /exceeds the limit of 1000 pixels/, {
        maxPixels: 1000,
      });
    }
    // A header whose size disagrees with the coded image is corrupt, not decoded.
    await rejectsWith(patchIspe(await fixture("heic"), 320, 240), "invalid_image");
  },
});

Deno.test({
  name: "decodeImage() refuses every new format over maxPixels from the header",
  ignore,
  async fn() {
    for (const target of ["webp", "gif", "heic-grid", "avif"] as const) {
      await rejectsWith(
        await fixture(target),
        "image_too_large",
        /480x640 exceeds the limit of 307199 pixels/,
        {
          maxPixels: 640 * 480 - 1,
        },
      );
    }
  },
});

// -- corrupt and truncated ----------------------------------------------------------------------

for (const target of ["heic", "heic-grid", "webp", "webp-lossless", "avif", "gif"] as const) {
  Deno.test({
    name: `decodeImage() refuses a truncated ${target} with invalid_image`,
    ignore,
    async fn() {
      const bytes = await fixture(target);
      for (const keep of [0.3, 0.6, 0.9, 0.99]) {
        await rejectsWith(bytes.subarray(0, Math.floor(bytes.length * keep)), "invalid_image");
      }
    },
  });
}

Deno.test({
  name: "decodeImage() refuses a HEIF of an unsupported codec naming it and the accepted formats",
  ignore,
  async fn() {
    const bytes = (await fixture("heic")).slice();
    // Turn the item type hvc1 into vvc1 (the property stays hvcC: the header reader is enough).
    const text = new TextDecoder("latin1").decode(bytes);
    const at = text.indexOf("hvc1", text.indexOf("infe"));
    bytes[at] = 0x76;
    await rejectsWith(
      bytes,
      "unsupported_media_type",
      /"image\/heic with vvc1 pixels"; accepted: image\/jpeg, image\/png, image\/webp, image\/heic/,
    );
  },
});

Deno.test({
  name: "decode_formats_test: clean up the converted fixtures",
  ignore,
  async fn() {
    if (Object.keys(distances).length > 0) console.log(JSON.stringify({ distances }));
    await Deno.remove(dir, { recursive: true });
  },
});
