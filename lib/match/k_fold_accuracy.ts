import { bestThreshold } from "./best_threshold.ts";

/** Options for {@linkcode kFoldAccuracy}. */
export interface KFoldAccuracyOptions {
  /** Number of contiguous folds when `foldSize` is not given, `2 ≤ folds ≤ pairs`. Default: 10. */
  folds?: number;
  /**
   * Fixed fold size (600 for LFW's 6000 pairs): fold `i` is rows `[i·foldSize, (i+1)·foldSize)`,
   * there are `⌊pairs / foldSize⌋ ≥ 2` folds, and trailing rows join the last fold. When `folds` is
   * also given it must equal that count. Default: none (use `folds`).
   */
  foldSize?: number;
}

/** Result of {@linkcode kFoldAccuracy}. */
export interface KFoldAccuracy {
  /** Mean of the fold accuracies, in `[0, 1]`. */
  accuracy: number;
  /** Population standard deviation (ddof 0) of the fold accuracies, as the LFW scripts report. */
  std: number;
  /** {@linkcode bestThreshold} on all pairs: the threshold to deploy. */
  threshold: number;
  /** Accuracy on each held-out fold, in fold order. */
  foldAccuracies: number[];
  /** Threshold chosen on the other folds for each fold, in fold order. */
  foldThresholds: number[];
}

/**
 * LFW-style k-fold verification accuracy. The pairs are split into contiguous folds (in input order,
 * so keep LFW's `pairs.txt` order); for each fold the threshold is chosen by
 * {@linkcode bestThreshold} on the other folds and accuracy is measured on the held-out fold.
 *
 * Without `foldSize`, fold `i` of `k` is rows `[⌊i·n/k⌋, ⌊(i+1)·n/k⌋)` (near-equal sizes).
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @param options See {@linkcode KFoldAccuracyOptions}.
 * @returns Mean and spread of the held-out accuracies, and the all-data threshold.
 * @throws {RangeError} When the inputs are empty, differ in length, a distance is not finite, or
 * the fold options are invalid or give fewer than 2 folds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   type KFoldAccuracy,
 *   kFoldAccuracy,
 *   type KFoldAccuracyOptions,
 * } from "./k_fold_accuracy.ts";
 * const distances = [0.3, 1.2, 0.5, 1.0, 0.4, 1.4, 0.6, 0.9];
 * const same = [true, false, true, false, true, false, true, false];
 * const options: KFoldAccuracyOptions = { folds: 4 };
 * const result: KFoldAccuracy = kFoldAccuracy(distances, same, options);
 * assert.equal(result.accuracy, 1);
 * assert.deepEqual(result.foldAccuracies, [1, 1, 1, 1]);
 * assert.equal(result.threshold, 0.75);
 * ```
 */
export function kFoldAccuracy(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  options: KFoldAccuracyOptions = {},
): KFoldAccuracy {
  const n = distances.length;
  // Validates the inputs (empty, lengths, finiteness) before the fold checks.
  const { threshold } = bestThreshold(distances, same);
  const bounds = foldBounds(n, options);
  const k = bounds.length - 1;

  const foldAccuracies: number[] = [];
  const foldThresholds: number[] = [];
  for (let f = 0; f < k; f++) {
    const start = bounds[f], end = bounds[f + 1];
    const trainD: number[] = [];
    const trainS: boolean[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= start && i < end) continue;
      trainD.push(distances[i]);
      trainS.push(same[i]);
    }
    const t = bestThreshold(trainD, trainS).threshold;
    let correct = 0;
    for (let i = start; i < end; i++) {
      if ((distances[i] <= t) === Boolean(same[i])) correct++;
    }
    foldThresholds.push(t);
    foldAccuracies.push(correct / (end - start));
  }
  const accuracy = foldAccuracies.reduce((s, a) => s + a, 0) / k;
  const variance = foldAccuracies.reduce((s, a) => s + (a - accuracy) ** 2, 0) / k;
  return { accuracy, std: Math.sqrt(variance), threshold, foldAccuracies, foldThresholds };
}

/** Fold boundaries `[0, …, n]`: fold `f` is rows `[bounds[f], bounds[f + 1])`. */
function foldBounds(n: number, options: KFoldAccuracyOptions): number[] {
  const { folds, foldSize } = options;
  if (folds !== undefined && (!Number.isInteger(folds) || folds < 2)) {
    throw new RangeError(
      `Cannot compute k-fold accuracy: folds must be an integer >= 2, got ${folds}`,
    );
  }
  if (foldSize !== undefined) {
    if (!Number.isInteger(foldSize) || foldSize < 1) {
      throw new RangeError(
        `Cannot compute k-fold accuracy: foldSize must be a positive integer, got ${foldSize}`,
      );
    }
    const k = Math.floor(n / foldSize);
    if (k < 2) {
      throw new RangeError(
        `Cannot compute k-fold accuracy: ${n} pairs make fewer than 2 folds of ${foldSize}`,
      );
    }
    if (folds !== undefined && folds !== k) {
      throw new RangeError(
        `Cannot compute k-fold accuracy: ${n} pairs make ${k} folds of ${foldSize}, not ${folds}`,
      );
    }
    const bounds = Array.from({ length: k }, (_, i) => i * foldSize);
    bounds.push(n);
    return bounds;
  }
  const k = folds ?? 10;
  if (k > n) {
    throw new RangeError(`Cannot compute k-fold accuracy: ${k} folds but only ${n} pairs`);
  }
  return Array.from({ length: k + 1 }, (_, i) => Math.floor((i * n) / k));
}
