import assert from "node:assert/strict";
import { iou } from "../../../lib/detect/box.ts";
import { SessionCache } from "../../../lib/onnx/session_cache.ts";
import { isFaceError } from "../../../lib/errors.ts";
import { decodeImage, type Orientation, orientRaster } from "../../../lib/image/mod.ts";
import { analyzeImage, type AnalyzeImageOptions } from "../../../lib/pipeline/analyze_image.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { dataDir, readData, sessions } from "../../_data.ts";
import {
  concat,
  encodeFlatJpeg,
  encodePng,
  exifTiff,
  PNG_SIGNATURE,
  pngChunk,
  withExif,
} from "../image/_fixtures.ts";
import { encodeJpeg } from "./_jpeg_encoder.ts";

const THRESHOLD = MODEL_MANIFEST.embedder.thresholds.verify!;
const deps = { sessions };

function distance(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

const embeddings = new Map<string, Promise<Float32Array>>();

/** The embedding of the one face of `faces/<path>`, computed once per test process. */
function embeddingOf(path: string): Promise<Float32Array> {
  let e = embeddings.get(path);
  if (!e) {
    e = readData(`faces/${path}`)
      .then((bytes) => analyzeImage(deps, bytes, { select: "largest", requireFace: true }))
      .then((a) => a.faces[0].embedding!);
    embeddings.set(path, e);
  }
  return e;
}

// -- same person close, different people far (rows of faces/pairs.csv) ----------------------------

const LFW = /^[^/]+\/[^/]+_\d{4}\.jpg$/;
const ROWS = (await Deno.readTextFile(`${dataDir()}/faces/pairs.csv`)).trim().split("\n").slice(1)
  .map((line) => line.split(","))
  .filter(([a, b]) => LFW.test(a) && LFW.test(b));

/** Five LFW rows spread evenly over the file's rows with this label. */
function spread(same: "1" | "0"): string[][] {
  const rows = ROWS.filter((r) => r[2] === same);
  return [0, 1, 2, 3, 4].map((i) => rows[Math.floor((i * rows.length) / 5)]);
}

for (const [a, b] of spread("1")) {
  Deno.test(`analyzeImage() puts two photos of ${a.split("/")[0]} within the verify threshold`, async () => {
    const d = distance(await embeddingOf(a), await embeddingOf(b));
    assert.ok(d < THRESHOLD, `${a} vs ${b}: ${d} ≥ ${THRESHOLD}`);
  });
}

for (const [a, b] of spread("0")) {
  const names = `${a.split("/")[0]} and ${b.split("/")[0]}`;
  Deno.test(`analyzeImage() puts ${names} beyond the verify threshold`, async () => {
    const d = distance(await embeddingOf(a), await embeddingOf(b));
    assert.ok(d > THRESHOLD, `${a} vs ${b}: ${d} ≤ ${THRESHOLD}`);
  });
}

// -- result shape ----------------------------------------------------------------------------------

const LFW_PHOTO = "faces/Aleksander_Kwasniewski/Aleksander_Kwasniewski_0001.jpg";

Deno.test("analyzeImage() returns one face with a 512-d unit embedding, five landmarks and quality", async () => {
  const a = await analyzeImage(deps, await readData(LFW_PHOTO));
  assert.deepEqual([a.width, a.height, a.detected, a.faces.length], [250, 250, 1, 1]);
  const [face] = a.faces;
  assert.ok(face.embedding instanceof Float32Array);
  assert.equal(face.embedding.length, MODEL_MANIFEST.embedder.dim);
  assert.equal(face.embedding.length, 512);
  let sq = 0;
  for (const v of face.embedding) sq += v * v;
  assert.ok(Math.abs(Math.sqrt(sq) - 1) < 1e-5, `norm ${Math.sqrt(sq)}`);
  assert.equal(face.landmarks.length, 5);
  assert.ok(face.score > 0.9 && face.quality.score > 0.5, JSON.stringify(face.quality));
  assert.ok(face.quality.eye_distance > 20);
});

Deno.test("analyzeImage() reports the time of every stage", async () => {
  const { timings } = await analyzeImage(deps, await readData(LFW_PHOTO));
  assert.deepEqual(Object.keys(timings).sort(), [
    "align",
    "decode",
    "detect",
    "embed",
    "landmarks",
    "total",
  ]);
  for (const [stage, ms] of Object.entries(timings)) {
    assert.ok(Number.isFinite(ms) && ms >= 0, `${stage}: ${ms}`);
  }
  assert.ok(timings.detect > 0 && timings.embed > 0 && timings.landmarks > 0);
  const stages = timings.decode + timings.detect + timings.landmarks + timings.align +
    timings.embed;
  assert.ok(timings.total >= stages - 1e-6, `total ${timings.total} < sum ${stages}`);
});

Deno.test("analyzeImage() with embed: false skips the embedder", async () => {
  const a = await analyzeImage(deps, await readData(LFW_PHOTO), { embed: false });
  assert.equal(a.faces.length, 1);
  assert.equal(a.faces[0].embedding, undefined);
  assert.equal(a.timings.embed, 0);
});

// -- no face, many faces ---------------------------------------------------------------------------

const LANDSCAPE = "faces-misc/noface_insightface_view.jpg";
const GROUP = "faces-misc/multi_facenet-pytorch_multiface.jpg";

Deno.test("analyzeImage() returns no faces for a landscape, and no_face when a face is required", async () => {
  const bytes = await readData(LANDSCAPE);
  const a = await analyzeImage(deps, bytes, { embed: false });
  assert.deepEqual([a.width, a.height, a.detected, a.faces.length], [1080, 641, 0, 0]);
  await assert.rejects(analyzeImage(deps, bytes, { requireFace: true }), (err) => {
    assert.ok(isFaceError(err, "no_face"), String(err));
    return true;
  });
});

Deno.test("analyzeImage() finds the six faces of a posed group", async () => {
  const a = await analyzeImage(deps, await readData(GROUP), { embed: false });
  assert.equal(a.detected, 6);
  assert.equal(a.faces.length, 6);
});

Deno.test("analyzeImage() with maxFaces keeps the largest faces, in detection order, at, under and over the count", async () => {
  const bytes = await readData(GROUP);
  const all = await analyzeImage(deps, bytes, { embed: false });
  const area = (f: { box: { width: number; height: number } }) => f.box.width * f.box.height;
  for (const maxFaces of [5, 6, 7]) {
    const some = await analyzeImage(deps, bytes, { embed: false, maxFaces });
    assert.equal(some.detected, 6);
    assert.equal(some.faces.length, Math.min(6, maxFaces), `maxFaces ${maxFaces}`);
    const smallest = all.faces.reduce((a, b) => (area(b) < area(a) ? b : a));
    const kept = all.faces.filter((f) => maxFaces >= 6 || f !== smallest);
    assert.deepEqual(some.faces.map((f) => f.box), kept.map((f) => f.box));
  }
});

Deno.test("analyzeImage() with select: single refuses a group photo with multiple_faces", async () => {
  await assert.rejects(analyzeImage(deps, await readData(GROUP), { select: "single" }), (err) => {
    assert.ok(isFaceError(err, "multiple_faces"), String(err));
    assert.deepEqual(err.details, { faces: 6 });
    assert.match(err.message, /6 faces/);
    return true;
  });
  const one = await analyzeImage(deps, await readData(LFW_PHOTO), { select: "single" });
  assert.equal(one.faces.length, 1);
});

Deno.test("analyzeImage() with select: largest / center embeds one face of a group", async () => {
  const bytes = await readData(GROUP);
  const all = await analyzeImage(deps, bytes, { embed: false });
  const area = (f: { box: { width: number; height: number } }) => f.box.width * f.box.height;
  const largest = await analyzeImage(deps, bytes, { select: "largest" });
  assert.equal(largest.faces.length, 1);
  assert.ok(largest.faces[0].embedding);
  // "largest" skips the tile passes, so its box may differ slightly from the "all" one: same face.
  const biggest = all.faces.reduce((a, b) => (area(b) > area(a) ? b : a));
  const overlap = iou(largest.faces[0].box, biggest.box);
  assert.ok(overlap > 0.6, `IoU ${overlap} with the largest of all faces`);
  const center = await analyzeImage(deps, bytes, { select: "center", embed: false });
  assert.equal(center.faces.length, 1);
  const off = (f: (typeof all.faces)[number]) =>
    Math.hypot(
      f.box.x + f.box.width / 2 - all.width / 2,
      f.box.y + f.box.height / 2 - all.height / 2,
    );
  const central = all.faces.reduce((a, b) => (off(b) < off(a) ? b : a));
  assert.deepEqual(center.faces[0].box, central.box); // same detector passes as "all"
});

// -- EXIF orientation ------------------------------------------------------------------------------

// Stored pixels turned by orientRaster(upright, store) are made upright again by the EXIF tag.
const ORIENTATIONS: [store: Orientation, tag: Orientation, turn: string][] = [
  [8, 6, "a quarter turn counter-clockwise"],
  [6, 8, "a quarter turn clockwise"],
  [3, 3, "upside down"],
];

for (const [store, tag, turn] of ORIENTATIONS) {
  Deno.test(`analyzeImage() embeds a photo stored ${turn} with EXIF orientation ${tag} like the upright one`, async () => {
    const upright = await decodeImage(await readData(LFW_PHOTO));
    const stored = orientRaster(upright, store);
    assert.deepEqual(orientRaster(stored, tag), upright, "the tag undoes the stored turn");
    // Both files go through the same test encoder, so only the orientation differs.
    const reference = await analyzeImage(deps, encodeJpeg(upright), { select: "largest" });
    const plain = encodeJpeg(stored);
    const tagged = withExif(plain, exifTiff(tag, tag !== 3));
    const a = await analyzeImage(deps, tagged, { select: "largest" });
    assert.deepEqual([a.width, a.height], [250, 250]);
    assert.equal(a.faces.length, 1);
    const d = distance(a.faces[0].embedding!, reference.faces[0].embedding!);
    assert.ok(d < 0.15, `EXIF-rotated vs upright: ${d}`);
    // Without the tag the face is sideways or upside down: missed, or a different embedding.
    for (
      const options of [{}, { decode: { applyExifOrientation: false } }] as AnalyzeImageOptions[]
    ) {
      const bytes = "decode" in options ? tagged : plain;
      // rotate: false: the rotation search would turn the face back (rotation_test.ts).
      const b = await analyzeImage(deps, bytes, { ...options, select: "largest", rotate: false });
      if (b.faces.length > 0) {
        const far = distance(b.faces[0].embedding!, reference.faces[0].embedding!);
        assert.ok(far > THRESHOLD, `ignoring the orientation still matched: ${far}`);
      }
    }
  });
}

Deno.test("encodeJpeg() (test helper) round-trips a real photo through decodeImage closely", async () => {
  const upright = await decodeImage(await readData(LFW_PHOTO));
  const back = await decodeImage(encodeJpeg(upright));
  assert.deepEqual([back.width, back.height], [upright.width, upright.height]);
  let se = 0;
  for (let i = 0; i < back.data.length; i++) {
    if (i % 4 !== 3) se += (back.data[i] - upright.data[i]) ** 2;
  }
  const psnr = 10 * Math.log10((255 * 255) / (se / (back.width * back.height * 3)));
  assert.ok(psnr > 40, `PSNR ${psnr}`);
});

// -- degenerate and hostile inputs -----------------------------------------------------------------

/** Runs the pipeline and expects a FaceError with `code` (any other exception fails the test). */
async function rejectsWith(bytes: Uint8Array, code: string, options: AnalyzeImageOptions = {}) {
  await assert.rejects(analyzeImage(deps, bytes, options), (err: Error) => {
    assert.ok(isFaceError(err), `expected a FaceError, got ${err?.name}: ${err?.message}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

function random(length: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return Uint8Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
}

Deno.test("analyzeImage() refuses empty bytes with invalid_image", async () => {
  await rejectsWith(new Uint8Array(0), "invalid_image");
});

Deno.test("analyzeImage() refuses a truncated JPEG with invalid_image", async () => {
  const jpeg = await readData(LFW_PHOTO);
  await rejectsWith(jpeg.subarray(0, jpeg.length >> 1), "invalid_image");
  await rejectsWith(jpeg.subarray(0, 100), "invalid_image");
  await rejectsWith(jpeg.subarray(0, 3), "invalid_image");
});

Deno.test("analyzeImage() refuses random bytes with invalid_image", async () => {
  for (let seed = 1; seed <= 20; seed++) await rejectsWith(random(4096, seed), "invalid_image");
});

Deno.test("analyzeImage() refuses a JPEG whose scan data is garbage with a FaceError or reads no face", async () => {
  const jpeg = await readData(LFW_PHOTO);
  const scan = jpeg.length >> 2; // well past the headers
  const noise = random(jpeg.length - scan - 2, 7).map((v) => (v === 0xff ? 0x00 : v));
  const corrupt = concat(jpeg.subarray(0, scan), noise, new Uint8Array([0xff, 0xd9]));
  try {
    const a = await analyzeImage(deps, corrupt);
    assert.equal(a.width, 250); // a tolerant decoder may paint noise: a result is fine
  } catch (err) {
    assert.ok(isFaceError(err, "invalid_image"), `unexpected ${err}`);
  }
});

Deno.test("analyzeImage() refuses a BMP with unsupported_media_type", async () => {
  const bmp = new TextEncoder().encode("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00");
  await rejectsWith(bmp, "unsupported_media_type");
});

Deno.test("analyzeImage() reads no face in a 1×1 PNG, and refuses it with no_face when required", async () => {
  const png = await encodePng({
    width: 1,
    height: 1,
    colorType: 2,
    bitDepth: 8,
    samples: [200, 150, 100],
  });
  const a = await analyzeImage(deps, png);
  assert.deepEqual([a.width, a.height, a.detected, a.faces.length], [1, 1, 0, 0]);
  await rejectsWith(png, "no_face", { requireFace: true });
});

Deno.test("analyzeImage() reads no face in images of extreme aspect ratio", async () => {
  for (const [width, height] of [[1, 1000], [3000, 1], [2, 700]]) {
    const png = await encodePng({
      width,
      height,
      colorType: 0,
      bitDepth: 8,
      samples: Array.from({ length: width * height }, (_, i) => (i * 37) % 256),
    });
    const a = await analyzeImage(deps, png);
    assert.deepEqual([a.width, a.height, a.faces.length], [width, height, 0]);
  }
});

Deno.test("analyzeImage() refuses decompression bombs from their headers with image_too_large", async () => {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, 100_000);
  view.setUint32(4, 100_000);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = concat(PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IEND", new Uint8Array(0)));
  await rejectsWith(png, "image_too_large");
  const jpeg = encodeFlatJpeg({
    width: 65535,
    height: 65535,
    samples: [128, 128, 128],
    headerOnly: true,
  });
  await rejectsWith(jpeg, "image_too_large");
  await rejectsWith(await readData(LFW_PHOTO), "image_too_large", {
    decode: { maxPixels: 250 * 249 },
  });
  await rejectsWith(await readData(LFW_PHOTO), "image_too_large", { decode: { maxBytes: 1000 } });
});

Deno.test("analyzeImage() reports model_unavailable when a model cannot be loaded", async () => {
  const broken = new SessionCache(() => Promise.reject(new Error("ENOENT")));
  await assert.rejects(analyzeImage({ sessions: broken }, await readData(LFW_PHOTO)), (err) => {
    assert.ok(isFaceError(err, "model_unavailable"), String(err));
    return true;
  });
});

Deno.test("analyzeImage() with select: primary picks the centred subject over a bigger face near the edge", async () => {
  // LFW centres each photo on its subject; in this one a teammate's face near the top-right corner
  // is bigger than the subject's.
  const subject = await readData("faces/Kosuke_Kitajima/Kosuke_Kitajima_0002.jpg");
  const other = await readData("faces/Kosuke_Kitajima/Kosuke_Kitajima_0001.jpg");
  const [primary, largest, reference] = await Promise.all([
    analyzeImage(deps, subject, { select: "primary" }),
    analyzeImage(deps, subject, { select: "largest" }),
    analyzeImage(deps, other, { select: "primary" }),
  ]);
  const centreX = (b: { x: number; width: number }) => b.x + b.width / 2;
  assert.ok(centreX(primary.faces[0].box) < 125, "primary is the face left of centre");
  assert.ok(centreX(largest.faces[0].box) > 150, "largest is the face near the right edge");
  const d = (a: Float32Array, b: Float32Array) =>
    Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));
  const ref = reference.faces[0].embedding!;
  assert.ok(d(primary.faces[0].embedding!, ref) < THRESHOLD, "primary matches the same person");
  assert.ok(d(largest.faces[0].embedding!, ref) > THRESHOLD, "largest is someone else");
});

Deno.test("analyzeImage() reports full-size boxes when the decode budget scales a JPEG down", async () => {
  // An LFW photo enlarged 4x to 1000x1000: under the default budget it is decoded at full size
  // (workingSize 0), under a tight one at 1/2 or 1/4, and the box must still be in full pixels.
  const small = await decodeImage(await readData(LFW_PHOTO));
  const { resizeBilinear } = await import("../../../lib/image/mod.ts");
  const big = encodeJpeg(resizeBilinear(small, small.width * 4, small.height * 4));
  const full = await analyzeImage(deps, big, { select: "largest", workingSize: 0 });
  assert.equal(full.width, small.width * 4);
  for (const budget of [4.5 * 1024 * 1024, 8 * 1024 * 1024]) {
    const scaled = await analyzeImage(deps, big, {
      select: "largest",
      workingSize: 0,
      decode: { maxDecodedBytes: budget },
    });
    assert.deepEqual([scaled.width, scaled.height], [full.width, full.height], `${budget}`);
    assert.ok(iou(scaled.faces[0].box, full.faces[0].box) > 0.8, `${budget}`);
    assert.ok(distance(scaled.faces[0].embedding!, full.faces[0].embedding!) < THRESHOLD / 2);
  }
});
