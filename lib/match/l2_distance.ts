import { assertSameLength } from "./_assert_same_length.ts";

/**
 * Euclidean distance `‖a − b‖`, accumulated in float64. The distance facegate thresholds on.
 *
 * For unit vectors (FaceNet-style embeddings) `d² = 2 − 2·cos(a, b)`: the distance lies in `[0, 2]`,
 * `d = √2` means orthogonal, and a cosine threshold `c` is the L2 threshold `√(2 − 2c)`.
 *
 * @param a First vector.
 * @param b Second vector, same length as `a`.
 * @returns The distance (0 for two empty vectors).
 * @throws {RangeError} When the lengths differ.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { l2Distance } from "./l2_distance.ts";
 * assert.equal(l2Distance([0, 0], [3, 4]), 5);
 * // Orthogonal unit vectors are √2 apart: d² = 2 − 2·0.
 * assert.equal(l2Distance([1, 0], [0, 1]), Math.SQRT2);
 * ```
 */
export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, "compute L2 distance");
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  return Math.sqrt(sum);
}
