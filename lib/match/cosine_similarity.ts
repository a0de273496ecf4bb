import { assertSameLength } from "./_assert_same_length.ts";

/**
 * Cosine similarity `a·b / (‖a‖‖b‖)` in `[-1, 1]`, accumulated in float64 (clamped to that range
 * against rounding). Does not assume unit vectors; for unit vectors it is the dot product and
 * `cos = 1 − d²/2` where `d` is {@linkcode l2Distance}.
 *
 * @param a First vector.
 * @param b Second vector, same length as `a`.
 * @returns The cosine of the angle between `a` and `b`.
 * @throws {RangeError} When the lengths differ, or either vector is zero (or empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineSimilarity } from "./cosine_similarity.ts";
 * assert.equal(cosineSimilarity([1, 0], [5, 0]), 1);
 * assert.equal(cosineSimilarity([1, 0], [0, 2]), 0);
 * assert.equal(cosineSimilarity([3, 4], [-3, -4]), -1);
 * ```
 */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertSameLength(a, b, "compute cosine similarity");
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  if (!(aa > 0) || !(bb > 0)) {
    throw new RangeError("Cannot compute cosine similarity: a vector has zero length");
  }
  const cos = dot / Math.sqrt(aa * bb);
  return Math.min(1, Math.max(-1, cos));
}
