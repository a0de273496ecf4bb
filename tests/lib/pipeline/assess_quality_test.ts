import assert from "node:assert/strict";
import { type Affine, applyAffine } from "../../../lib/align/affine.ts";
import { estimateSimilarity, type Point } from "../../../lib/align/estimate_similarity.ts";
import {
  assessQuality,
  estimatePose,
  type FaceQuality,
  laplacianVariance,
  qualityFailures,
} from "../../../lib/pipeline/assess_quality.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";

const TEMPLATE = MODEL_MANIFEST.embedder.template as Point[];
const SIZE = 112;
const PLANE = SIZE * SIZE;

/** A planar 3×112×112 tensor with the same value `f(x, y)` in every plane. */
function tensor(f: (x: number, y: number) => number): Float32Array {
  const t = new Float32Array(3 * PLANE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      t[y * SIZE + x] = t[PLANE + y * SIZE + x] = t[2 * PLANE + y * SIZE + x] = f(x, y);
    }
  }
  return t;
}

const CHECKERBOARD = tensor((x, y) => ((x + y) % 2 ? 1 : -1));

Deno.test("laplacianVariance() is 0 for a flat face", () => {
  assert.equal(laplacianVariance(tensor(() => 0)), 0);
  assert.equal(laplacianVariance(tensor(() => 0.73)), 0);
});

Deno.test("laplacianVariance() is 0 for a linear ramp (no second derivative)", () => {
  assert.equal(laplacianVariance(tensor((x) => x / 128)), 0);
  assert.equal(laplacianVariance(tensor((_, y) => -y / 64)), 0);
});

Deno.test("laplacianVariance() of a ±1 checkerboard is (8 · 128)²", () => {
  // Tensor ±1 is ±128 gray levels; each 4-neighbour Laplacian is ∓8·128 with mean 0.
  assert.equal(laplacianVariance(CHECKERBOARD), 1024 * 1024);
});

Deno.test("laplacianVariance() weighs the middle plane twice whatever the plane order", () => {
  const t = new Float32Array(3 * PLANE);
  for (let i = 0; i < PLANE; i++) t[PLANE + i] = CHECKERBOARD[i]; // only the middle plane varies
  assert.equal(laplacianVariance(t), 512 * 512);
});

Deno.test("estimatePose() reads a frontal face on the template as zero yaw and pitch", () => {
  const pose = estimatePose(TEMPLATE, [1, 0, 0, 0, 1, 0], TEMPLATE);
  assert.equal(pose.yaw, 0);
  assert.equal(pose.pitch, 0);
  const [l, r] = TEMPLATE;
  assert.equal(pose.roll, (Math.atan2(r[1] - l[1], r[0] - l[0]) * 180) / Math.PI);
});

Deno.test("estimatePose() measures roll in the image and yaw from the nose offset", () => {
  // The template rotated by 30° in the photo: roll 30° (plus the template's own tilt), yaw 0.
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  const toPhoto: Affine = [2 * c, -2 * s, 300, 2 * s, 2 * c, 100];
  const photo = TEMPLATE.map(([x, y]) => applyAffine(toPhoto, x, y));
  const rolled = estimatePose(photo, estimateSimilarity(photo, TEMPLATE), TEMPLATE);
  const tilt =
    (Math.atan2(TEMPLATE[1][1] - TEMPLATE[0][1], TEMPLATE[1][0] - TEMPLATE[0][0]) * 180) / Math.PI;
  assert.ok(Math.abs(rolled.roll - (30 + tilt)) < 1e-9, `roll ${rolled.roll}`);
  assert.ok(Math.abs(rolled.yaw) < 1e-9 && Math.abs(rolled.pitch) < 1e-9);
  // Nose moved towards the image-right eye: positive yaw; towards the left: negative.
  const right = TEMPLATE.map((p, i): Point => (i === 2 ? [p[0] + 8, p[1]] : p));
  const left = TEMPLATE.map((p, i): Point => (i === 2 ? [p[0] - 8, p[1]] : p));
  const id: Affine = [1, 0, 0, 0, 1, 0];
  assert.ok(estimatePose(right, id, TEMPLATE).yaw > 20);
  assert.ok(estimatePose(left, id, TEMPLATE).yaw < -20);
});

Deno.test("assessQuality() scores a large, sharp, frontal face by its detector score", () => {
  const five = TEMPLATE.map(([x, y]): Point => [2 * x + 50, 2 * y + 40]);
  const toTemplate = estimateSimilarity(five, TEMPLATE);
  const box = { x: 50, y: 40, width: 224, height: 240 };
  const q = assessQuality(box, 0.95, five, toTemplate, TEMPLATE, CHECKERBOARD);
  assert.equal(q.score, 0.95);
  assert.equal(q.face_size, 224);
  assert.equal(
    q.eye_distance,
    Math.round(
      2 * Math.hypot(TEMPLATE[1][0] - TEMPLATE[0][0], TEMPLATE[1][1] - TEMPLATE[0][1]) * 10,
    ) / 10,
  );
  assert.equal(q.detector_score, 0.95);
  assert.equal(q.sharpness, 1048576);
  assert.deepEqual(q.pose, { yaw: 0, pitch: 0, roll: -0.3 });
});

Deno.test("assessQuality() gives 0 to a blurred (flat) face and to a face of 24 px or less", () => {
  const five = TEMPLATE.map(([x, y]): Point => [2 * x, 2 * y]);
  const m = estimateSimilarity(five, TEMPLATE);
  const box = { x: 0, y: 0, width: 200, height: 200 };
  assert.equal(assessQuality(box, 1, five, m, TEMPLATE, tensor(() => 0.2)).score, 0);
  const tiny = { x: 0, y: 0, width: 24, height: 30 };
  assert.equal(assessQuality(tiny, 1, five, m, TEMPLATE, CHECKERBOARD).score, 0);
  const mid = { x: 0, y: 0, width: 52, height: 60 }; // (52 − 24) / (80 − 24) = 0.5
  assert.equal(assessQuality(mid, 1, five, m, TEMPLATE, CHECKERBOARD).score, 0.5);
});

const GOOD: FaceQuality = {
  score: 0.9,
  face_size: 120,
  eye_distance: 50,
  detector_score: 0.99,
  sharpness: 150,
  pose: { yaw: 5, pitch: 0, roll: 0 },
  texture: 4,
  embedding_norm: 3.7,
};

Deno.test("qualityFailures() is empty for a good face", () => {
  assert.deepEqual(qualityFailures(GOOD), []);
});

Deno.test("qualityFailures() names every failed check", () => {
  assert.deepEqual(qualityFailures({ ...GOOD, face_size: 39 }), [
    "face is 39px, smaller than 40px",
  ]);
  assert.deepEqual(qualityFailures({ ...GOOD, sharpness: 19.5 }), [
    "face is blurred (sharpness 19.5 < 20)",
  ]);
  assert.deepEqual(qualityFailures({ ...GOOD, pose: { yaw: -50, pitch: 0, roll: 0 } }), [
    "head is turned (yaw -50° beyond ±45°)",
  ]);
  assert.deepEqual(qualityFailures({ ...GOOD, detector_score: 0.5 }), ["detector score 0.5 < 0.8"]);
  const bad = {
    ...GOOD,
    face_size: 10,
    sharpness: 1,
    detector_score: 0.1,
    pose: { yaw: 80, pitch: 0, roll: 0 },
  };
  assert.equal(qualityFailures(bad).length, 4);
});

Deno.test("qualityFailures() applies a custom gate, limits inclusive", () => {
  const gate = { minFaceSize: 120, minSharpness: 150, maxYaw: 5, minDetectorScore: 0.99 };
  assert.deepEqual(qualityFailures(GOOD, gate), []);
  assert.equal(qualityFailures(GOOD, { minFaceSize: 121 }).length, 1);
  assert.equal(qualityFailures(GOOD, { maxYaw: 4.9 }).length, 1);
});

Deno.test("qualityFailures() refuses a drawing: texture contrast over 20, limit inclusive", () => {
  assert.deepEqual(qualityFailures({ ...GOOD, texture: 20 }), []);
  assert.deepEqual(qualityFailures({ ...GOOD, texture: 20.1 }), [
    "not a photo of a human face: flat shading with hard outlines, as in a drawing " +
    "(texture contrast 20.1 > 20)",
  ]);
  assert.deepEqual(qualityFailures({ ...GOOD, texture: 30 }, { maxTexture: 40 }), []);
});

Deno.test("qualityFailures() refuses an animal: a weak embedder answer with an unsure detector, not either alone", () => {
  const animal = { ...GOOD, embedding_norm: 2.36, detector_score: 0.958 };
  assert.deepEqual(qualityFailures(animal), [
    "not a human face: the recognition model answers weakly (embedding norm 2.36 < 2.6) and " +
    "the detector is unsure (score 0.958 < 0.99), as for an animal",
  ]);
  assert.deepEqual(qualityFailures({ ...animal, embedding_norm: 2.6 }), []);
  assert.deepEqual(qualityFailures({ ...animal, detector_score: 0.99 }), []);
  // Not embedded (detect): the check does not apply.
  assert.deepEqual(qualityFailures({ ...animal, embedding_norm: undefined }), []);
});
