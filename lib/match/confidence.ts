/** Options for {@linkcode confidence}. */
export interface ConfidenceOptions {
  /**
   * Distance over which the confidence moves from 0.5 by a factor e in odds, in the same units as
   * the distance. Default: 0.1 (L2 units of unit embeddings, whose distances lie in `[0, 2]`): 0.22
   * below the threshold gives 0.9, 0.46 below gives 0.99, 0.22 above gives 0.1.
   */
  scale?: number;
}

/**
 * Maps a distance to a confidence in `[0, 1]` for API responses: the logistic
 * `1 / (1 + exp(−(threshold − distance) / scale))`. It is exactly 0.5 at the threshold, above 0.5
 * for matches (`distance < threshold`), and strictly decreasing in the distance. It is a display
 * score, not a calibrated probability; decisions use the distance and threshold.
 *
 * @param distance The L2 distance (or any distance the threshold is in).
 * @param threshold The match threshold (`distance <= threshold` matches).
 * @param options See {@linkcode ConfidenceOptions}.
 * @returns The confidence in `[0, 1]`.
 * @throws {RangeError} When `distance` is NaN, `threshold` is not finite, or `scale` is not a
 * positive finite number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confidence, type ConfidenceOptions } from "./confidence.ts";
 * assert.equal(confidence(1.1, 1.1), 0.5);
 * assert.ok(confidence(0.6, 1.1) > 0.99);
 * assert.ok(confidence(1.4, 1.1) < 0.05);
 * // A gentler slope: 0.3 below the threshold is still only ~0.82.
 * const options: ConfidenceOptions = { scale: 0.2 };
 * assert.ok(Math.abs(confidence(0.8, 1.1, options) - 1 / (1 + Math.exp(-1.5))) < 1e-12);
 * ```
 */
export function confidence(
  distance: number,
  threshold: number,
  options: ConfidenceOptions = {},
): number {
  const scale = options.scale ?? 0.1;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new RangeError(`Cannot compute confidence: scale must be > 0, got ${scale}`);
  }
  if (Number.isNaN(distance) || !Number.isFinite(threshold)) {
    throw new RangeError(
      `Cannot compute confidence: distance ${distance} or threshold ${threshold} is not a number`,
    );
  }
  return 1 / (1 + Math.exp((distance - threshold) / scale));
}
