import { buildPairGrid } from "./_pair_grid.ts";

/**
 * Area under the ROC curve of a distance matcher (trapezoidal over {@linkcode rocCurve}, exact in
 * integer counts). It equals the probability that a random same-person pair is closer than a random
 * different-person pair, counting ties as one half (the Mann–Whitney statistic): 1 is perfect
 * separation, 0.5 is chance.
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @returns The AUC in `[0, 1]`.
 * @throws {RangeError} When the inputs are empty, differ in length, a distance is not finite, or
 * there is not at least one pair of each label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rocAuc } from "./roc_auc.ts";
 * assert.equal(rocAuc([0.2, 0.4, 0.9, 1.1], [true, true, false, false]), 1);
 * // A tie between a positive and a negative counts half.
 * assert.equal(rocAuc([0.5, 0.5], [true, false]), 0.5);
 * ```
 */
export function rocAuc(distances: ArrayLike<number>, same: ArrayLike<boolean>): number {
  const { pos, neg, positives, negatives } = buildPairGrid(
    distances,
    same,
    "compute ROC AUC",
    true,
  );
  let twiceArea = 0;
  for (let i = 1; i < pos.length; i++) {
    twiceArea += (neg[i] - neg[i - 1]) * (pos[i] + pos[i - 1]);
  }
  return twiceArea / (2 * positives * negatives);
}
