import assert from "node:assert/strict";
import { scoreSubject } from "../../../lib/match/mod.ts";

const f32 = (...v: number[]) => new Float32Array(v);
// Faces at 0°, 90° and 36.87° (0.8, 0.6); the probe at 0°.
const faces = [f32(1, 0), f32(0, 1), f32(0.8, 0.6)];
const probe = f32(1, 0);
const unit = (dot: number) => Math.sqrt(2 - 2 * dot);

Deno.test("scoreSubject() with nearest returns the smallest distance and its face", () => {
  assert.deepEqual(scoreSubject(faces, f32(0, 1)), { distance: 0, faceIndex: 1 });
  const r = scoreSubject(faces.slice(1), probe, "nearest");
  assert.equal(r.faceIndex, 1);
  assert.ok(Math.abs(r.distance - unit(0.8)) < 1e-7);
});

Deno.test("scoreSubject() with top2 averages the two smallest distances", () => {
  const r = scoreSubject(faces, probe, "top2");
  assert.equal(r.faceIndex, 0);
  assert.ok(Math.abs(r.distance - (0 + unit(0.8)) / 2) < 1e-7);
});

Deno.test("scoreSubject() with top2 falls back to the single face", () => {
  assert.deepEqual(scoreSubject([f32(0, 1)], probe, "top2"), {
    distance: Math.SQRT2,
    faceIndex: 0,
  });
});

Deno.test("scoreSubject() with mean measures to the re-normalised mean of the faces", () => {
  // Mean of (1, 0) and (0, 1) normalised is (√½, √½): cos 45° to the probe.
  const r = scoreSubject([f32(1, 0), f32(0, 1)], probe, "mean");
  assert.ok(Math.abs(r.distance - unit(Math.SQRT1_2)) < 1e-7);
  assert.equal(r.faceIndex, 0);
});

Deno.test("scoreSubject() with mean scores faces that cancel out as orthogonal", () => {
  assert.deepEqual(scoreSubject([f32(1, 0), f32(-1, 0)], probe, "mean"), {
    distance: Math.SQRT2,
    faceIndex: 0,
  });
});

Deno.test("scoreSubject() picks the first of tied nearest faces", () => {
  assert.equal(scoreSubject([f32(0, 1), f32(1, 0), f32(1, 0)], probe).faceIndex, 1);
});

Deno.test("scoreSubject() puts a float32 unit vector within 1e-3 of itself, never NaN", () => {
  // ‖v‖² is 1 only to float32 precision, so d = √(2 − 2·dot) is √(~1e-7), not 0.
  const v = new Float32Array(512).fill(1 / Math.sqrt(512));
  const { distance } = scoreSubject([v], v);
  assert.ok(distance >= 0 && distance < 1e-3);
  // A dot above 1 from rounding is clamped to distance 0.
  assert.equal(scoreSubject([f32(1, 0)], f32(1.0000001, 0)).distance, 0);
});

Deno.test("scoreSubject() throws RangeError for no faces, a dimension mismatch or a bad strategy", () => {
  assert.throws(() => scoreSubject([], probe), {
    name: "RangeError",
    message: "Cannot score subject: it has no faces",
  });
  assert.throws(() => scoreSubject([f32(1, 0, 0)], probe), {
    name: "RangeError",
    message: "Cannot score subject: face 0 has dimension 3, probe has 2",
  });
  // deno-lint-ignore no-explicit-any
  assert.throws(() => scoreSubject(faces, probe, "max" as any), RangeError);
});
