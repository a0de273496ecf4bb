import { assertSameLength } from "./_assert_same_length.ts";

/**
 * Squared Euclidean distance `‖a − b‖²`, accumulated in float64. Cheaper than
 * {@linkcode l2Distance} (no square root) and the quantity FaceNet's triplet loss uses.
 *
 * For unit vectors `‖a − b‖² = 2 − 2·cos(a, b)`, so it lies in `[0, 4]`.
 *
 * @param a First vector.
 * @param b Second vector, same length as `a`.
 * @returns The squared distance (0 for two empty vectors).
 * @throws {RangeError} When the lengths differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { squaredL2Distance } from "./squared_l2_distance.ts";
 * assert.equal(squaredL2Distance([0, 0], [3, 4]), 25);
 * ```
 */
export function squaredL2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, "compute squared L2 distance");
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return sum;
}
