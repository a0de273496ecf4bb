import { buildPairGrid } from "./_pair_grid.ts";

/** Result of {@linkcode thresholdAtFar}. */
export interface ThresholdAtFar {
  /** The distance threshold; a pair matches when `distance <= threshold`. */
  threshold: number;
  /** False-accept rate achieved on the different-person pairs (≤ the requested rate). */
  far: number;
  /** True-accept rate achieved on the same-person pairs. */
  tar: number;
  /**
   * True when the requested rate is below `1 / negatives`: no measured FAR can be that small but
   * 0, so the threshold (just below the closest different-person pair) only shows that FAR is 0
   * on this data; the real rate at it is not measured. Collect more negatives to resolve it.
   */
  extrapolated: boolean;
}

/**
 * The largest distance threshold whose false-accept rate on the different-person pairs is at most
 * `far`, with the FAR and TAR it achieves. Used to set an operating point such as FAR = 1e-3.
 *
 * Thresholds come from the same grid as {@linkcode bestThreshold}: the result sits halfway between
 * the first different-person distance it must reject and the next smaller observed distance (or
 * half a gap below it when none is smaller), and a pair matches when `distance <= threshold`.
 * Resolution is limited by the number of negatives `N`: FAR moves in steps of `1/N`, and when
 * `far < 1/N` the result rejects every negative and is flagged `extrapolated`.
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @param far The largest acceptable false-accept rate, in `[0, 1]`.
 * @returns The threshold with its achieved FAR and TAR.
 * @throws {RangeError} When the inputs are empty, differ in length, a distance is not finite,
 * there is not at least one pair of each label, or `far` is outside `[0, 1]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ThresholdAtFar, thresholdAtFar } from "./threshold_at_far.ts";
 * const distances = [0.2, 0.5, 0.7, 0.6, 0.8, 1.0, 1.2];
 * const same = [true, true, true, false, false, false, false];
 * // One of four negatives may be accepted: the threshold stops before the second (0.8).
 * const point: ThresholdAtFar = thresholdAtFar(distances, same, 0.25);
 * assert.deepEqual(point, {
 *   threshold: 0.75,
 *   far: 0.25,
 *   tar: 1,
 *   extrapolated: false,
 * });
 * // 1e-3 is below 1/4: the threshold rejects every negative, and says so.
 * assert.equal(thresholdAtFar(distances, same, 1e-3).extrapolated, true);
 * ```
 */
export function thresholdAtFar(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  far: number,
): ThresholdAtFar {
  if (!(far >= 0 && far <= 1)) {
    throw new RangeError(`Cannot find threshold at FAR: far must be in [0, 1], got ${far}`);
  }
  const grid = buildPairGrid(distances, same, "find threshold at FAR", true);
  const { candidates, pos, neg, positives, negatives } = grid;
  // Tolerate rounding in far·N (0.29 · 100 = 28.999999999999996).
  const allowed = far * negatives + 1e-9;
  let i = candidates.length - 1;
  while (i > 0 && neg[i] > allowed) i--;
  return {
    threshold: candidates[i],
    far: neg[i] / negatives,
    tar: pos[i] / positives,
    extrapolated: far * negatives < 1 - 1e-9,
  };
}
