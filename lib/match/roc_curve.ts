import { buildPairGrid } from "./_pair_grid.ts";

/** One operating point of {@linkcode rocCurve}. */
export interface RocPoint {
  /** The distance threshold; a pair matches when `distance <= threshold`. */
  threshold: number;
  /** False-accept rate: fraction of different-person pairs that match. */
  far: number;
  /** True-accept rate: fraction of same-person pairs that match. */
  tar: number;
}

/**
 * The ROC curve of a distance matcher: one point per candidate threshold of
 * {@linkcode bestThreshold} (midpoints between sorted distinct distances plus one below and one
 * above), in increasing threshold order, from `(far 0, tar 0)` to `(far 1, tar 1)`. Tied distances
 * of both labels move FAR and TAR in the same step, a diagonal segment.
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @returns `m + 1` points for `m` distinct distances.
 * @throws {RangeError} When the inputs are empty, differ in length, a distance is not finite, or
 * there is not at least one pair of each label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RocPoint, rocCurve } from "./roc_curve.ts";
 * const points: RocPoint[] = rocCurve([0.25, 0.75, 1.25], [true, false, true]);
 * assert.deepEqual(points, [
 *   { threshold: 0, far: 0, tar: 0 },
 *   { threshold: 0.5, far: 0, tar: 0.5 },
 *   { threshold: 1, far: 1, tar: 0.5 },
 *   { threshold: 1.5, far: 1, tar: 1 },
 * ]);
 * ```
 */
export function rocCurve(distances: ArrayLike<number>, same: ArrayLike<boolean>): RocPoint[] {
  const { candidates, pos, neg, positives, negatives } = buildPairGrid(
    distances,
    same,
    "compute ROC curve",
    true,
  );
  const points: RocPoint[] = [];
  for (let i = 0; i < candidates.length; i++) {
    points.push({ threshold: candidates[i], far: neg[i] / negatives, tar: pos[i] / positives });
  }
  return points;
}
