import { tripletLoss, type TripletLossOptions } from "./triplet_loss.ts";

/** Result of {@linkcode batchTripletLoss}. */
export interface BatchTripletLoss {
  /** Mean loss over all triplets (including the zero ones, as FaceNet averages). */
  mean: number;
  /** Loss of each triplet, in input order. */
  losses: number[];
  /** How many triplets have a loss > 0 (the ones that would produce a gradient). */
  active: number;
}

/**
 * {@linkcode tripletLoss} over a batch of triplets `(anchors[i], positives[i], negatives[i])`.
 *
 * @param anchors Anchor embeddings.
 * @param positives Same-person embeddings, one per anchor.
 * @param negatives Different-person embeddings, one per anchor.
 * @param options See {@linkcode TripletLossOptions}; margin default 0.2.
 * @returns The mean, the per-triplet losses and the number of active triplets.
 * @throws {RangeError} When the batch is empty, the three arrays differ in length, a triplet's
 * dimensions differ, or the margin is invalid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BatchTripletLoss, batchTripletLoss } from "./batch_triplet_loss.ts";
 * const result: BatchTripletLoss = batchTripletLoss(
 *   [[0, 0], [0, 0]],
 *   [[1, 0], [1, 0]],
 *   [[0, 2], [0, 1]],
 *   { margin: 0.5 },
 * );
 * assert.deepEqual(result, { mean: 0.25, losses: [0, 0.5], active: 1 });
 * ```
 */
export function batchTripletLoss(
  anchors: ArrayLike<number>[],
  positives: ArrayLike<number>[],
  negatives: ArrayLike<number>[],
  options: TripletLossOptions = {},
): BatchTripletLoss {
  if (anchors.length === 0) {
    throw new RangeError("Cannot compute batch triplet loss: the batch is empty");
  }
  if (positives.length !== anchors.length || negatives.length !== anchors.length) {
    throw new RangeError(
      `Cannot compute batch triplet loss: ${anchors.length} anchors, ${positives.length} positives ` +
        `and ${negatives.length} negatives`,
    );
  }
  const losses = new Array<number>(anchors.length);
  let sum = 0;
  let active = 0;
  for (let i = 0; i < anchors.length; i++) {
    const loss = tripletLoss(anchors[i], positives[i], negatives[i], options);
    losses[i] = loss;
    sum += loss;
    if (loss > 0) active++;
  }
  return { mean: sum / anchors.length, losses, active };
}
