import assert from "node:assert/strict";
import { tripletLoss } from "../../../lib/match/mod.ts";

Deno.test(
  "tripletLoss() is zero when the negative is farther than the positive by more than the margin",
  () => {
    // ‖a−p‖² = 1, ‖a−n‖² = 4: 1 − 4 + 0.2 < 0.
    assert.equal(tripletLoss([0, 0], [1, 0], [0, 2]), 0);
  },
);

Deno.test("tripletLoss() is ‖a−p‖² − ‖a−n‖² + α when the margin is violated", () => {
  // ‖a−p‖² = 2, ‖a−n‖² = 1: 2 − 1 + 0.5.
  assert.equal(tripletLoss([0, 0], [1, 1], [1, 0], { margin: 0.5 }), 1.5);
  // ‖a−p‖² = 1, ‖a−n‖² = 1.25: 1 − 1.25 + 0.5.
  assert.equal(tripletLoss([0, 0], [1, 0], [1, 0.5], { margin: 0.5 }), 0.25);
});

Deno.test("tripletLoss() uses a margin of 0.2 by default", () => {
  assert.equal(tripletLoss([0, 0], [1, 0], [0, 1]), 0.2);
});

Deno.test("tripletLoss() is zero at the margin's edge", () => {
  // ‖a−p‖² = 1, ‖a−n‖² = 1.5: 1 − 1.5 + 0.5 = 0.
  assert.equal(tripletLoss([0, 0], [1, 0], [1, Math.SQRT1_2], { margin: 0.5 }), 0);
  assert.equal(tripletLoss([0, 0], [1, 0], [0, 1], { margin: 0 }), 0);
});

Deno.test("tripletLoss() throws RangeError for a negative or non-finite margin", () => {
  assert.throws(() => tripletLoss([0], [1], [2], { margin: -0.1 }), {
    name: "RangeError",
    message: "Cannot compute triplet loss: margin must be >= 0, got -0.1",
  });
  assert.throws(() => tripletLoss([0], [1], [2], { margin: NaN }), RangeError);
});

Deno.test("tripletLoss() throws RangeError when the dimensions differ", () => {
  assert.throws(() => tripletLoss([0, 0], [1, 0], [1]), RangeError);
  assert.throws(() => tripletLoss([0, 0], [1], [1, 0]), RangeError);
});
