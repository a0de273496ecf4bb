import assert from "node:assert/strict";
import { decodeImage, type Orientation, orientRaster } from "../../../lib/image/mod.ts";
import {
  analyzeImage,
  isPlausibleFace,
  PLAUSIBLE_POSE_DEGREES,
  type Rotation,
} from "../../../lib/pipeline/analyze_image.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { readData, sessions } from "../../_data.ts";
import { encodeJpeg } from "./_jpeg_encoder.ts";

const THRESHOLD = MODEL_MANIFEST.embedder.thresholds.verify!;
const deps = { sessions };

function distance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Dev photos (LFW) turned by the test itself. */
const DEV_PHOTOS = [
  "faces/Serena_Williams/Serena_Williams_0001.jpg",
  "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0003.jpg",
  "faces/Hamid_Karzai/Hamid_Karzai_0001.jpg",
];

/** Turning a photo clockwise by `turn` (EXIF orientation) is undone by analysing it at `undo`. */
const TURNS: { turn: Orientation; degrees: number; undo: Rotation }[] = [
  { turn: 6, degrees: 90, undo: 270 },
  { turn: 3, degrees: 180, undo: 180 },
  { turn: 8, degrees: 270, undo: 90 },
];

for (const photo of DEV_PHOTOS) {
  Deno.test(`analyzeImage() finds ${photo.split("/").pop()} turned 90/180/270° upright and it verifies against its upright twin`, async () => {
    const bytes = await readData(photo);
    const upright = await analyzeImage(deps, bytes, { select: "largest", requireFace: true });
    assert.equal(upright.rotation, 0);
    const raster = await decodeImage(bytes);
    for (const { turn, degrees, undo } of TURNS) {
      const turned = encodeJpeg(orientRaster(raster, turn), 95);
      const a = await analyzeImage(deps, turned, { select: "largest", requireFace: true });
      assert.equal(a.rotation, undo, `turned ${degrees}°`);
      const d = distance(a.faces[0].embedding!, upright.faces[0].embedding!);
      assert.ok(d < THRESHOLD, `turned ${degrees}°: distance ${d} to the upright twin`);
      // Without the rotation search the turned photo is not usable as the same person.
      const asIs = await analyzeImage(deps, turned, { select: "largest", rotate: false });
      const same = asIs.faces.length > 0 && isPlausibleFace(asIs.faces[0]) &&
        distance(asIs.faces[0].embedding!, upright.faces[0].embedding!) < THRESHOLD;
      assert.equal(same, false, `turned ${degrees}° without rotation`);
    }
  });
}

Deno.test("analyzeImage() turns the faces-misc rotated photos upright", async () => {
  const rot90 = await analyzeImage(deps, await readData("faces-misc/pose_insightface_rot_90.jpg"), {
    select: "largest",
  });
  assert.equal(rot90.rotation, 270);
  const rot180 = await analyzeImage(
    deps,
    await readData("faces-misc/pose_insightface_rot_180.jpg"),
    { select: "largest" },
  );
  assert.equal(rot180.rotation, 180);
  // The same face: rot_90 turned 270° and rot_180 turned 180° are one upright photo.
  assert.ok(distance(rot90.faces[0].embedding!, rot180.faces[0].embedding!) < 0.3);
  // image_T1 is upright once its EXIF orientation is applied: nothing to turn.
  const t1 = await analyzeImage(deps, await readData("faces-misc/pose_insightface_image_T1.jpeg"), {
    select: "largest",
  });
  assert.equal(t1.rotation, 0);
});

Deno.test("analyzeImage() with rotate: false or a fixed rotation analyses that orientation only", async () => {
  const bytes = await readData("faces-misc/pose_insightface_rot_180.jpg");
  const asIs = await analyzeImage(deps, bytes, { select: "largest", rotate: false, embed: false });
  assert.equal(asIs.rotation, 0);
  const fixed = await analyzeImage(deps, bytes, { select: "largest", rotate: 90, embed: false });
  assert.equal(fixed.rotation, 90);
  assert.equal(fixed.width, asIs.height);
  assert.equal(fixed.height, asIs.width);
});

Deno.test("analyzeImage() still refuses a photo without a face after trying every rotation", async () => {
  const bytes = await readData("faces-misc/noface_insightface_view.jpg");
  await assert.rejects(
    () => analyzeImage(deps, bytes, { select: "largest", requireFace: true }),
    (err: Error & { code?: string }) => err.code === "no_face",
  );
});

Deno.test("isPlausibleFace() needs a box at least as tall as wide and a pose within the limit", () => {
  const quality = (yaw: number, roll = 0, detector_score = 0.99) => ({
    score: 0.9,
    face_size: 100,
    eye_distance: 40,
    detector_score,
    sharpness: 100,
    pose: { yaw, pitch: 0, roll },
    texture: 4,
  });
  const tall = { x: 0, y: 0, width: 100, height: 130 };
  const L = PLAUSIBLE_POSE_DEGREES;
  assert.equal(isPlausibleFace({ box: tall, quality: quality(L) }), true);
  assert.equal(isPlausibleFace({ box: tall, quality: quality(L - 0.1) }), true);
  assert.equal(isPlausibleFace({ box: tall, quality: quality(L + 0.1) }), false);
  assert.equal(isPlausibleFace({ box: tall, quality: quality(0, -(L + 0.1)) }), false);
  assert.equal(isPlausibleFace({ box: tall, quality: quality(0, 0, 0.49) }), false);
  assert.equal(isPlausibleFace({ box: { ...tall, height: 100 }, quality: quality(0) }), true);
  assert.equal(isPlausibleFace({ box: { ...tall, height: 99 }, quality: quality(0) }), false);
});
