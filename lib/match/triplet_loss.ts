import { assertSameLength } from "./_assert_same_length.ts";
import { squaredL2Distance } from "./squared_l2_distance.ts";

/** Options for {@linkcode tripletLoss} and {@linkcode batchTripletLoss}. */
export interface TripletLossOptions {
  /** The margin α enforced between positive and negative squared distances. Default: 0.2 (FaceNet). */
  margin?: number;
}

/**
 * FaceNet's triplet loss for one triplet: `max(‖a − p‖² − ‖a − n‖² + α, 0)` with squared L2
 * distances. It is zero once the negative is farther from the anchor than the positive by more than
 * the margin α (in squared-distance units).
 *
 * @param anchor Embedding of the anchor face.
 * @param positive Embedding of another face of the same person.
 * @param negative Embedding of a face of a different person.
 * @param options See {@linkcode TripletLossOptions}.
 * @returns The non-negative loss.
 * @throws {RangeError} When the dimensions differ, or the margin is negative or not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type TripletLossOptions, tripletLoss } from "./triplet_loss.ts";
 * // ‖a−p‖² = 1, ‖a−n‖² = 4: 1 − 4 + 0.2 < 0, so the loss is 0.
 * assert.equal(tripletLoss([0, 0], [1, 0], [0, 2]), 0);
 * // ‖a−p‖² = 1, ‖a−n‖² = 1: the loss is the margin.
 * const options: TripletLossOptions = { margin: 0.5 };
 * assert.equal(tripletLoss([0, 0], [1, 0], [0, 1], options), 0.5);
 * ```
 */
export function tripletLoss(
  anchor: ArrayLike<number>,
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  options: TripletLossOptions = {},
): number {
  const margin = options.margin ?? 0.2;
  if (!Number.isFinite(margin) || margin < 0) {
    throw new RangeError(`Cannot compute triplet loss: margin must be >= 0, got ${margin}`);
  }
  assertSameLength(anchor, positive, "compute triplet loss");
  assertSameLength(anchor, negative, "compute triplet loss");
  const loss = squaredL2Distance(anchor, positive) - squaredL2Distance(anchor, negative) + margin;
  return loss > 0 ? loss : 0;
}
