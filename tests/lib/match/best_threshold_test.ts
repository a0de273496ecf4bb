import assert from "node:assert/strict";
import { bestThreshold } from "../../../lib/match/mod.ts";
import { seededRandom } from "./_random.ts";

Deno.test("bestThreshold() picks the middle of the gap between separable classes", () => {
  assert.deepEqual(bestThreshold([0.2, 0.4, 0.9, 1.1], [true, true, false, false]), {
    threshold: 0.65,
    accuracy: 1,
  });
});

Deno.test("bestThreshold() maximises accuracy when the classes overlap", () => {
  // Candidates: 1 same, 1 diff, 1 same, 2 diff → best 4/5 below 0.375 or below 0.875.
  const distances = [0.125, 0.375, 0.625, 0.875, 1.125];
  const same = [true, false, true, false, false];
  // Two equally wide plateaus [0.125, 0.375) and [0.625, 0.875): the lower one wins.
  assert.deepEqual(bestThreshold(distances, same), { threshold: 0.25, accuracy: 0.8 });
});

Deno.test("bestThreshold() prefers the widest of several best plateaus", () => {
  // [0.25, 0.5) and [1.5, 2) both reach 3/4; the second is twice as wide.
  assert.deepEqual(bestThreshold([0.25, 0.5, 1.5, 2], [true, false, true, false]), {
    threshold: 1.75,
    accuracy: 0.75,
  });
});

Deno.test("bestThreshold() returns the middle of a plateau spanning several candidates", () => {
  // A same and a different pair tied at 0.5 leave accuracy unchanged over [0.25, 1).
  assert.deepEqual(bestThreshold([0.25, 0.5, 0.5, 1], [true, true, false, false]), {
    threshold: 0.625,
    accuracy: 0.75,
  });
});

Deno.test("bestThreshold() accepts every pair when all pairs are the same person", () => {
  const result = bestThreshold([0.5, 1, 0.75], [true, true, true]);
  assert.equal(result.accuracy, 1);
  assert.ok(result.threshold >= 1);
  // Half way between the largest distance and the outer candidate half a gap above it.
  assert.equal(result.threshold, 1.0625);
});

Deno.test("bestThreshold() rejects every pair when all pairs are different people", () => {
  const result = bestThreshold([0.5, 1, 0.75], [false, false, false]);
  assert.equal(result.accuracy, 1);
  assert.ok(result.threshold < 0.5);
});

Deno.test("bestThreshold() handles a single pair and all-equal distances", () => {
  assert.deepEqual(bestThreshold([0.5], [true]), { threshold: 0.75, accuracy: 1 });
  assert.deepEqual(bestThreshold([0.5], [false]), { threshold: 0.25, accuracy: 1 });
  const tied = bestThreshold([0.5, 0.5, 0.5], [true, true, false]);
  assert.equal(tied.accuracy, 2 / 3);
  assert.ok(tied.threshold >= 0.5);
});

Deno.test("bestThreshold() matches a brute-force sweep on random overlapping data", () => {
  const random = seededRandom(7);
  const distances: number[] = [];
  const same: boolean[] = [];
  for (let i = 0; i < 400; i++) {
    const s = random() < 0.5;
    same.push(s);
    // Rounded to create ties across labels.
    distances.push(Math.round((s ? 0.8 : 1.2) * 100 + (random() - 0.5) * 80) / 100);
  }
  const accuracyAt = (t: number) =>
    distances.reduce((n, d, i) => n + ((d <= t) === same[i] ? 1 : 0), 0) / distances.length;
  let best = 0;
  for (let t = 0; t <= 2; t += 0.0005) best = Math.max(best, accuracyAt(t));
  const result = bestThreshold(distances, same);
  assert.equal(result.accuracy, best);
  assert.equal(accuracyAt(result.threshold), best);
});

Deno.test("bestThreshold() throws RangeError for empty or mismatched inputs", () => {
  assert.throws(() => bestThreshold([], []), {
    name: "RangeError",
    message: "Cannot find best threshold: no labelled pairs",
  });
  assert.throws(() => bestThreshold([0.1, 0.2], [true]), {
    name: "RangeError",
    message: "Cannot find best threshold: 2 distances but 1 labels",
  });
});

Deno.test("bestThreshold() throws RangeError for a non-finite distance", () => {
  assert.throws(() => bestThreshold([0.1, NaN], [true, false]), RangeError);
  assert.throws(() => bestThreshold([0.1, Infinity], [true, false]), RangeError);
});
