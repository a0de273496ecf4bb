import assert from "node:assert/strict";
import { bestThreshold, kFoldAccuracy } from "../../../lib/match/mod.ts";
import { seededRandom } from "./_random.ts";

Deno.test("kFoldAccuracy() is 1 with zero spread on separable pairs", () => {
  const distances = [0.3, 1.2, 0.5, 1.0, 0.4, 1.4, 0.6, 0.9];
  const same = [true, false, true, false, true, false, true, false];
  const result = kFoldAccuracy(distances, same, { folds: 4 });
  assert.deepEqual(result.foldAccuracies, [1, 1, 1, 1]);
  assert.equal(result.accuracy, 1);
  assert.equal(result.std, 0);
  assert.equal(result.threshold, 0.75);
});

Deno.test("kFoldAccuracy() chooses each fold's threshold on the other folds only", () => {
  // Fold 0 = rows 0-1 is judged with the threshold of rows 2-3 (0.875) and vice versa (0.375).
  const result = kFoldAccuracy([0.25, 0.5, 0.75, 1], [true, false, true, false], { folds: 2 });
  assert.deepEqual(result, {
    accuracy: 0.5,
    std: 0,
    threshold: 0.375,
    foldAccuracies: [0.5, 0.5],
    foldThresholds: [0.875, 0.375],
  });
});

Deno.test("kFoldAccuracy() with foldSize puts trailing rows in the last fold", () => {
  // Ten rows in folds of 3: [0, 3), [3, 6), [6, 10); row 9 is a same-person outlier.
  const distances = [0.25, 1.25, 0.375, 1.125, 0.5, 1, 0.625, 1.5, 0.3, 2];
  const same = [true, false, true, false, true, false, true, false, true, true];
  const result = kFoldAccuracy(distances, same, { foldSize: 3 });
  assert.deepEqual(result.foldAccuracies, [1, 1, 0.75]);
  assert.deepEqual(result.foldThresholds, [0.8125, 0.9375, 0.75]);
  assert.equal(result.accuracy, 2.75 / 3);
  const mean = 2.75 / 3;
  assert.ok(
    Math.abs(result.std - Math.sqrt((2 * (1 - mean) ** 2 + (0.75 - mean) ** 2) / 3)) < 1e-15,
  );
  assert.equal(result.threshold, bestThreshold(distances, same).threshold);
  // Three near-equal folds of 10 rows are the same split.
  assert.deepEqual(kFoldAccuracy(distances, same, { folds: 3 }), result);
});

Deno.test("kFoldAccuracy() splits 6000 LFW-shaped pairs into 10 folds of 600", () => {
  const random = seededRandom(3);
  const distances: number[] = [];
  const same: boolean[] = [];
  for (let f = 0; f < 10; f++) {
    for (let i = 0; i < 600; i++) {
      const s = i < 300;
      same.push(s);
      distances.push((s ? 0.9 : 1.3) + (random() - 0.5) * 0.6);
    }
  }
  const bySize = kFoldAccuracy(distances, same, { foldSize: 600 });
  assert.equal(bySize.foldAccuracies.length, 10);
  assert.deepEqual(kFoldAccuracy(distances, same), bySize);
  assert.deepEqual(kFoldAccuracy(distances, same, { folds: 10, foldSize: 600 }), bySize);
  assert.ok(bySize.accuracy > 0.7 && bySize.accuracy < 1);
  assert.ok(bySize.std > 0 && bySize.std < 0.1);
});

Deno.test("kFoldAccuracy() with one label only accepts held-out pairs up to the training range", () => {
  // Each fold's threshold sits just above its training distances (1.0625, then 0.5625), so the
  // fold of smaller distances is all accepted and the fold of larger ones all rejected.
  const result = kFoldAccuracy([0.25, 0.5, 0.75, 1], [true, true, true, true], { folds: 2 });
  assert.deepEqual(result.foldAccuracies, [1, 0]);
  assert.deepEqual(result.foldThresholds, [1.0625, 0.5625]);
  assert.equal(result.accuracy, 0.5);
  assert.equal(result.threshold, 1.0625);
});

Deno.test("kFoldAccuracy() throws RangeError for invalid fold options", () => {
  const d = [0.1, 0.2, 0.3, 0.4], s = [true, false, true, false];
  assert.throws(() => kFoldAccuracy(d, s, { folds: 1 }), RangeError);
  assert.throws(() => kFoldAccuracy(d, s, { folds: 2.5 }), RangeError);
  assert.throws(() => kFoldAccuracy(d, s, { folds: 5 }), {
    name: "RangeError",
    message: "Cannot compute k-fold accuracy: 5 folds but only 4 pairs",
  });
  assert.throws(() => kFoldAccuracy(d, s), RangeError); // 10 folds of 4 pairs
  assert.throws(() => kFoldAccuracy(d, s, { foldSize: 3 }), RangeError);
  assert.throws(() => kFoldAccuracy(d, s, { foldSize: 0 }), RangeError);
  assert.throws(() => kFoldAccuracy(d, s, { foldSize: 1, folds: 2 }), {
    name: "RangeError",
    message: "Cannot compute k-fold accuracy: 4 pairs make 4 folds of 1, not 2",
  });
});

Deno.test("kFoldAccuracy() throws RangeError for empty or mismatched inputs", () => {
  assert.throws(() => kFoldAccuracy([], []), RangeError);
  assert.throws(() => kFoldAccuracy([0.1, 0.2], [true]), RangeError);
});
