import { tripletLoss, type TripletLossOptions } from "./triplet_loss.ts";

/** {@linkcode tripletLoss} of one triplet and its gradient with respect to each embedding. */
export interface TripletLossGradient {
  /** `max(‖a − p‖² − ‖a − n‖² + α, 0)`. */
  loss: number;
  /** ∂loss/∂a: `2(n − p)` when the loss is positive, else zeros. */
  anchor: Float64Array;
  /** ∂loss/∂p: `2(p − a)` when the loss is positive, else zeros. */
  positive: Float64Array;
  /** ∂loss/∂n: `2(a − n)` when the loss is positive, else zeros. */
  negative: Float64Array;
}

/**
 * The triplet loss of FaceNet with its gradient, for training an embedding (the projection of the
 * 128-d recipe is trained with it: `tools/train_projection.ts`). Zero gradients when the triplet
 * already satisfies the margin.
 *
 * @throws {RangeError} as {@linkcode tripletLoss}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tripletLossGradient } from "./triplet_loss_gradient.ts";
 * // ‖a−p‖² = 1, ‖a−n‖² = 1: loss = margin, gradients pull p in and push n out.
 * const g = tripletLossGradient([0, 0], [1, 0], [0, 1], { margin: 0.5 });
 * assert.equal(g.loss, 0.5);
 * assert.deepEqual([...g.anchor], [-2, 2]);
 * assert.deepEqual([...g.positive], [2, 0]);
 * assert.deepEqual([...g.negative], [0, -2]);
 * ```
 */
export function tripletLossGradient(
  anchor: ArrayLike<number>,
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
  options: TripletLossOptions = {},
): TripletLossGradient {
  const loss = tripletLoss(anchor, positive, negative, options);
  const n = anchor.length;
  const ga = new Float64Array(n), gp = new Float64Array(n), gn = new Float64Array(n);
  if (loss > 0) {
    for (let i = 0; i < n; i++) {
      ga[i] = 2 * (negative[i] - positive[i]);
      gp[i] = 2 * (positive[i] - anchor[i]);
      gn[i] = 2 * (anchor[i] - negative[i]);
    }
  }
  return { loss, anchor: ga, positive: gp, negative: gn };
}
