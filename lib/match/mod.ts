/**
 * Pure matching maths for unit face embeddings: distances, triplet loss, threshold calibration
 * from labelled pairs (best accuracy, LFW k-fold, FAR operating points, ROC), display confidence,
 * gallery search and int8 quantisation. No I/O.
 *
 * For unit vectors the L2 distance and cosine similarity carry the same information:
 * `d² = 2 − 2·cos`. facegate thresholds on `d`, and a pair matches when `d <= threshold`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cosineSimilarity, l2Distance, normalize } from "./mod.ts";
 * const a = normalize([1, 2, 2]);
 * const b = normalize([2, 1, 2]);
 * const d = l2Distance(a, b);
 * assert.ok(Math.abs(d * d - (2 - 2 * cosineSimilarity(a, b))) < 1e-6);
 * ```
 *
 * @module
 */

export * from "./l2_distance.ts";
export * from "./squared_l2_distance.ts";
export * from "./cosine_similarity.ts";
export * from "./normalize.ts";
export * from "./triplet_loss.ts";
export * from "./batch_triplet_loss.ts";
export * from "./best_threshold.ts";
export * from "./k_fold_accuracy.ts";
export * from "./threshold_at_far.ts";
export * from "./tar_at_far.ts";
export * from "./roc_curve.ts";
export * from "./roc_auc.ts";
export * from "./confidence.ts";
export * from "./score_subject.ts";
export * from "./search_gallery.ts";
export * from "./quantize_int8.ts";
export * from "./dequantize_int8.ts";
export * from "./gallery_index.ts";
export * from "./gallery_index_kernel.ts";
export * from "./gallery_cache.ts";
export * from "./gallery.ts";
export * from "./live_faces.ts";
export * from "./triplet_loss_gradient.ts";
export * from "./impostor_far_curve.ts";
export * from "./open_set_threshold.ts";
