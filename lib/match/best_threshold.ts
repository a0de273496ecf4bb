import { buildPairGrid } from "./_pair_grid.ts";

/** Result of {@linkcode bestThreshold}. */
export interface BestThreshold {
  /** The distance threshold; a pair matches when `distance <= threshold`. */
  threshold: number;
  /** Fraction of pairs classified correctly at that threshold, in `[0, 1]`. */
  accuracy: number;
}

/**
 * The distance threshold that maximises verification accuracy on labelled pairs.
 *
 * Accuracy as a function of the threshold is a step function that only changes at the observed
 * distances, so the search is exact over the candidate thresholds: the midpoints between
 * consecutive sorted distinct distances, plus one candidate below the smallest (reject every pair)
 * and one above the largest (accept every pair), each half the neighbouring gap away (±0.5 when all
 * distances are equal). When several thresholds reach the best accuracy, the result is the middle of
 * the widest plateau of best thresholds (the lowest plateau on a tie): the threshold with the most
 * room on both sides. Outer plateaus are measured only up to the outer candidates.
 *
 * With all pairs labelled alike the best threshold accepts (or rejects) every pair, with accuracy 1.
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @returns The threshold and its accuracy.
 * @throws {RangeError} When the inputs are empty, differ in length, or a distance is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BestThreshold, bestThreshold } from "./best_threshold.ts";
 * // Perfectly separable: the middle of the gap between 0.4 and 0.9.
 * const best: BestThreshold = bestThreshold([0.2, 0.4, 0.9, 1.1], [true, true, false, false]);
 * assert.deepEqual(best, { threshold: 0.65, accuracy: 1 });
 * ```
 */
export function bestThreshold(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
): BestThreshold {
  const grid = buildPairGrid(distances, same, "find best threshold");
  const { values, candidates, pos, neg, negatives } = grid;
  const m = values.length;
  let maxCorrect = -1;
  for (let i = 0; i <= m; i++) {
    const correct = pos[i] + negatives - neg[i];
    if (correct > maxCorrect) maxCorrect = correct;
  }
  let bestLo = 0, bestHi = 0, bestWidth = -1;
  for (let a = 0; a <= m; a++) {
    if (pos[a] + negatives - neg[a] !== maxCorrect) continue;
    let b = a;
    while (b < m && pos[b + 1] + negatives - neg[b + 1] === maxCorrect) b++;
    // Candidates a..b cover the thresholds [d_a, d_{b+1}), clipped at the outer candidates.
    const lo = a === 0 ? candidates[0] : values[a - 1];
    const hi = b === m ? candidates[m] : values[b];
    if (hi - lo > bestWidth) {
      bestWidth = hi - lo;
      bestLo = lo;
      bestHi = hi;
    }
    a = b;
  }
  return { threshold: bestLo + (bestHi - bestLo) / 2, accuracy: maxCorrect / distances.length };
}
