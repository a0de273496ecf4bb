import assert from "node:assert/strict";
import type { Point } from "../../../lib/align/estimate_similarity.ts";
import { detectFaces } from "../../../lib/detect/mod.ts";
import type { OrtSession } from "../../../lib/onnx/session_cache.ts";
import { decodeImage, type Raster } from "../../../lib/image/mod.ts";
import {
  detectLandmarks,
  landmarkCrop,
  recentreShift,
  toFivePoints,
} from "../../../lib/landmarks/landmarks.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { readData, sessions } from "../../_data.ts";

Deno.test("toFivePoints() averages the eye contours and mouth corners of 68 iBUG points", () => {
  const points: Point[] = Array.from({ length: 68 }, (_, i) => [i, 2 * i]);
  assert.deepEqual(toFivePoints(points), [
    [38.5, 77], // mean of 36..41
    [44.5, 89], // mean of 42..47
    [30, 60], // nose tip
    [54, 108], // mean of 48 and 60
    [59, 118], // mean of 54 and 64
  ]);
});

Deno.test("toFivePoints() keeps the image-left eye first for a face drawn by hand", () => {
  const points: Point[] = Array.from({ length: 68 }, () => [0, 0]);
  for (let i = 36; i <= 41; i++) points[i] = [30 + (i - 36), 40]; // image-left eye around x 32.5
  for (let i = 42; i <= 47; i++) points[i] = [70 + (i - 42), 40]; // image-right eye around x 72.5
  points[30] = [50, 60];
  points[48] = [35, 80];
  points[60] = [37, 80];
  points[54] = [65, 80];
  points[64] = [63, 80];
  assert.deepEqual(toFivePoints(points), [[32.5, 40], [72.5, 40], [50, 60], [36, 80], [64, 80]]);
});

Deno.test("toFivePoints() throws RangeError unless given 68 points", () => {
  assert.throws(() => toFivePoints([]), RangeError);
  assert.throws(() => toFivePoints(Array.from({ length: 5 }, () => [0, 0] as Point)), RangeError);
  assert.throws(() => toFivePoints(Array.from({ length: 69 }, () => [0, 0] as Point)), RangeError);
});

Deno.test("landmarkCrop() is a square on the box centre with the box's longer side", () => {
  assert.deepEqual(landmarkCrop({ x: 10, y: 20, width: 40, height: 60 }), {
    cx: 30,
    cy: 50,
    side: 60,
  });
  assert.deepEqual(landmarkCrop({ x: 0, y: 0, width: 80, height: 50 }), {
    cx: 40,
    cy: 25,
    side: 80,
  });
});

/** A landmark model answering with fixed normalised points: x in {0.2, 0.6}, y in {0.3, 0.7}. */
function scripted() {
  const inputs: { data: Float32Array; dims: readonly number[] }[] = [];
  const values = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    values[2 * i] = i % 2 ? 0.6 : 0.2;
    values[2 * i + 1] = i % 4 < 2 ? 0.3 : 0.7;
  }
  const session = {
    run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) {
      inputs.push(feeds.input);
      return Promise.resolve({ output: { data: values } });
    },
  };
  return { session: session as unknown as OrtSession, inputs };
}

function white(width: number, height: number): Raster {
  return { width, height, data: new Uint8Array(width * height * 4).fill(255) };
}

Deno.test("detectLandmarks() maps the model's crop coordinates to source pixels", async () => {
  const { session, inputs } = scripted();
  const box = { x: 100, y: 100, width: 50, height: 50 };
  const pts = await detectLandmarks(session, white(300, 300), box, { refine: false });
  assert.equal(inputs.length, 1);
  assert.deepEqual(inputs[0].dims, [1, 1, 64, 64]);
  assert.equal(inputs[0].data[64 * 32 + 32], Math.fround(255 / 256)); // gray / 256
  assert.equal(pts.length, 68);
  // Crop (100,100) side 50: x 0.2 → 110, 0.6 → 130; y 0.3 → 115, 0.7 → 135.
  assert.deepEqual(
    pts.slice(0, 4).map(([x, y]) => [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4]),
    [
      [110, 115],
      [130, 115],
      [110, 135],
      [130, 135],
    ],
  );
});

Deno.test("detectLandmarks() refines on a crop re-centred on the first points", async () => {
  const { session, inputs } = scripted();
  const box = { x: 100, y: 100, width: 50, height: 50 };
  const pts = await detectLandmarks(session, white(300, 300), box);
  assert.equal(inputs.length, 2);
  // First points span x 110..130, y 115..135: the second crop is centred on (120, 125), side 50.
  const [x, y] = pts[0];
  assert.ok(
    Math.abs(x - (95 + 0.2 * 50)) < 1e-4 && Math.abs(y - (100 + 0.3 * 50)) < 1e-4,
    `${x},${y}`,
  );
});

Deno.test("detectLandmarks() puts the five points of a real face in anatomical order", async () => {
  const raster = await decodeImage(await readData("faces/Rick_Santorum/Rick_Santorum_0001.jpg"));
  const [detector, landmarker] = await Promise.all([
    sessions.get(MODEL_MANIFEST.detector),
    sessions.get(MODEL_MANIFEST.landmarks),
  ]);
  const [face] = await detectFaces(detector, raster, { channels: "bgr" });
  assert.ok(face, "a face is detected");
  const [le, re, nose, ml, mr] = toFivePoints(await detectLandmarks(landmarker, raster, face.box));
  const { x, y, width, height } = face.box;
  for (const [px, py] of [le, re, nose, ml, mr]) {
    assert.ok(px > x && px < x + width && py > y && py < y + height, `${px},${py} outside the box`);
  }
  assert.ok(le[0] < nose[0] && nose[0] < re[0], "nose between the eyes");
  assert.ok(ml[0] < mr[0], "mouth corners left to right");
  assert.ok(
    Math.max(le[1], re[1]) < nose[1] && nose[1] < Math.min(ml[1], mr[1]),
    "eyes, nose, mouth",
  );
  const eyes = Math.hypot(re[0] - le[0], re[1] - le[1]);
  assert.ok(eyes > 0.25 * width && eyes < 0.6 * width, `eye distance ${eyes} for box ${width}`);
});

Deno.test("recentreShift() is the larger axis shift as a fraction of the crop side", () => {
  assert.equal(recentreShift({ cx: 125, cy: 125, side: 50 }, { cx: 120, cy: 125 }), 0.1);
  assert.equal(recentreShift({ cx: 0, cy: 0, side: 10 }, { cx: 1, cy: -3 }), 0.3);
  assert.equal(recentreShift({ cx: 5, cy: 5, side: 10 }, { cx: 5, cy: 5 }), 0);
});

Deno.test('detectLandmarks() with refine "auto" skips the second pass at and under refineShift only', async () => {
  // The scripted points move the crop centre from (125, 125) to (120, 125): shift ≈ 5 / 50.
  const box = { x: 100, y: 100, width: 50, height: 50 };
  let shift = NaN;
  const twice = await detectLandmarks(scripted().session, white(300, 300), box, {
    onPasses: (_, s) => (shift = s),
  });
  assert.ok(Math.abs(shift - 0.1) < 1e-6, `shift ${shift}`);
  const once = await detectLandmarks(scripted().session, white(300, 300), box, { refine: false });
  for (
    const [refineShift, passes] of [[shift, 1], [shift - 1e-6, 2], [shift + 1e-6, 1]] as const
  ) {
    const { session, inputs } = scripted();
    const reported: [number, number][] = [];
    const pts = await detectLandmarks(session, white(300, 300), box, {
      refine: "auto",
      refineShift,
      onPasses: (n, s) => reported.push([n, s]),
    });
    assert.equal(inputs.length, passes, `refineShift ${refineShift}`);
    assert.deepEqual(reported, [[passes, shift]]);
    assert.deepEqual(pts, passes === 2 ? twice : once);
  }
});

Deno.test("detectLandmarks() reports one pass and no shift when refine is false", async () => {
  const { session } = scripted();
  const reported: [number, number][] = [];
  await detectLandmarks(session, white(300, 300), { x: 100, y: 100, width: 50, height: 50 }, {
    refine: false,
    onPasses: (n, shift) => reported.push([n, shift]),
  });
  assert.deepEqual(reported, [[1, NaN]]);
});
