import assert from "node:assert/strict";
import { thresholdAtFar } from "../../../lib/match/mod.ts";
import { seededRandom } from "./_random.ts";

// Sorted: 0.25 S, 0.5 S, 0.625 D, 0.75 S, 0.875 D, 1 D, 1.25 D.
const distances = [0.25, 0.5, 0.75, 0.625, 0.875, 1, 1.25];
const same = [true, true, true, false, false, false, false];

Deno.test("thresholdAtFar() stops just before the negative that would exceed the rate", () => {
  assert.deepEqual(thresholdAtFar(distances, same, 0.25), {
    threshold: 0.8125,
    far: 0.25,
    tar: 1,
    extrapolated: false,
  });
  assert.deepEqual(thresholdAtFar(distances, same, 0.6), {
    threshold: 0.9375,
    far: 0.5,
    tar: 1,
    extrapolated: false,
  });
});

Deno.test("thresholdAtFar() with far 0 rejects every negative", () => {
  assert.deepEqual(thresholdAtFar(distances, same, 0), {
    threshold: 0.5625,
    far: 0,
    tar: 2 / 3,
    extrapolated: true,
  });
});

Deno.test("thresholdAtFar() flags rates below 1/negatives as extrapolated", () => {
  const tiny = thresholdAtFar(distances, same, 1e-3);
  assert.equal(tiny.extrapolated, true);
  assert.equal(tiny.far, 0);
  assert.ok(tiny.threshold < 0.625 && tiny.threshold > 0.5);
  assert.equal(thresholdAtFar(distances, same, 0.25).extrapolated, false);
});

Deno.test("thresholdAtFar() goes below every distance when the closest pair is a negative", () => {
  const result = thresholdAtFar([0.5, 1, 1.5], [false, true, false], 0.1);
  assert.deepEqual(result, { threshold: 0.25, far: 0, tar: 0, extrapolated: true });
});

Deno.test("thresholdAtFar() with far 1 accepts every pair", () => {
  const result = thresholdAtFar(distances, same, 1);
  assert.equal(result.far, 1);
  assert.equal(result.tar, 1);
  assert.ok(result.threshold > 1.25);
});

Deno.test("thresholdAtFar() cannot split negatives tied at one distance", () => {
  const result = thresholdAtFar([0.25, 0.5, 0.5, 1, 1], [true, false, false, false, false], 0.25);
  assert.deepEqual(result, { threshold: 0.375, far: 0, tar: 1, extrapolated: false });
});

Deno.test("thresholdAtFar() tolerates rounding in far × negatives", () => {
  // 0.29 × 100 = 28.999999999999996 in floating point.
  const d = [0, ...Array.from({ length: 100 }, (_, i) => i + 1)];
  const s = [true, ...Array.from({ length: 100 }, () => false)];
  assert.equal(thresholdAtFar(d, s, 0.29).far, 0.29);
  assert.equal(thresholdAtFar(d, s, 0.01).extrapolated, false);
  assert.equal(thresholdAtFar(d, s, 0.0099).extrapolated, true);
});

Deno.test("thresholdAtFar() returns the largest grid threshold within the rate on random data", () => {
  const random = seededRandom(11);
  const d: number[] = [];
  const s: boolean[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = random() < 0.3;
    s.push(p);
    d.push(Math.round(((p ? 0.8 : 1.25) + (random() - 0.5) * 0.8) * 1000) / 1000);
  }
  const negatives = d.filter((_, i) => !s[i]);
  const farAt = (t: number) => negatives.filter((x) => x <= t).length / negatives.length;
  for (const far of [0, 0.001, 0.01, 0.1, 0.5]) {
    const r = thresholdAtFar(d, s, far);
    assert.equal(farAt(r.threshold), r.far);
    assert.ok(r.far <= far);
    // The next observed negative above the threshold would push FAR past the limit.
    const next = Math.min(...negatives.filter((x) => x > r.threshold));
    assert.ok(farAt(next) > far);
  }
});

Deno.test("thresholdAtFar() throws RangeError for a rate outside [0, 1]", () => {
  assert.throws(() => thresholdAtFar(distances, same, -0.1), {
    name: "RangeError",
    message: "Cannot find threshold at FAR: far must be in [0, 1], got -0.1",
  });
  assert.throws(() => thresholdAtFar(distances, same, 1.5), RangeError);
  assert.throws(() => thresholdAtFar(distances, same, NaN), RangeError);
});

Deno.test("thresholdAtFar() throws RangeError unless both labels are present", () => {
  assert.throws(() => thresholdAtFar([0.1, 0.2], [true, true], 0.1), {
    name: "RangeError",
    message:
      "Cannot find threshold at FAR: needs same-person and different-person pairs, got 2 and 0",
  });
  assert.throws(() => thresholdAtFar([0.1], [false], 0.1), RangeError);
  assert.throws(() => thresholdAtFar([], [], 0.1), RangeError);
});
