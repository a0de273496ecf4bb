import assert from "node:assert/strict";
import { batchTripletLoss } from "../../../lib/match/mod.ts";

Deno.test("batchTripletLoss() returns the per-triplet losses, their mean and the active count", () => {
  const anchors = [[0, 0], [0, 0], [0, 0], [0, 0]];
  const positives = [[1, 0], [1, 1], [1, 0], [1, 0]];
  const negatives = [[0, 2], [1, 0], [0, 1], [1, 0.5]];
  // Hand-computed with α = 0.5: max(1−4+.5, 0), 2−1+.5, 1−1+.5, 1−1.25+.5.
  assert.deepEqual(batchTripletLoss(anchors, positives, negatives, { margin: 0.5 }), {
    mean: 0.5625,
    losses: [0, 1.5, 0.5, 0.25],
    active: 3,
  });
});

Deno.test("batchTripletLoss() has no active triplets when every negative is far enough", () => {
  const result = batchTripletLoss(
    [new Float32Array([0, 0])],
    [new Float32Array([0.5, 0])],
    [new Float32Array([0, 2])],
  );
  assert.deepEqual(result, { mean: 0, losses: [0], active: 0 });
});

Deno.test("batchTripletLoss() throws RangeError for an empty batch", () => {
  assert.throws(() => batchTripletLoss([], [], []), {
    name: "RangeError",
    message: "Cannot compute batch triplet loss: the batch is empty",
  });
});

Deno.test("batchTripletLoss() throws RangeError when the arrays differ in length", () => {
  assert.throws(() => batchTripletLoss([[0]], [[1]], []), RangeError);
  assert.throws(() => batchTripletLoss([[0]], [[1], [2]], [[3]]), RangeError);
});

Deno.test("batchTripletLoss() throws RangeError for an invalid margin", () => {
  assert.throws(() => batchTripletLoss([[0]], [[1]], [[2]], { margin: -1 }), RangeError);
});
