/**
 * The region a passive liveness model sees: the face box grown about its centre, shrunk to what
 * the image holds and shifted inside it (Silent-Face-Anti-Spoofing's `CropImage` rule, which
 * `fr_liveness.onnx` was trained with).
 *
 * @module
 */
import type { Box } from "../detect/mod.ts";

/** The crop of {@linkcode livenessCrop}. */
export interface LivenessCrop {
  /** Left edge (px). */
  x: number;
  /** Top edge (px). */
  y: number;
  /** Width (px). */
  width: number;
  /** Height (px). */
  height: number;
  /**
   * The growth the image allowed: `scale` when the whole grown box fits, less when the face fills
   * the frame (`min((W-1)/box.width, (H-1)/box.height, scale)`).
   */
  context: number;
}

/**
 * The box grown by `scale` about its centre (aspect kept), limited to the image, then shifted so it
 * lies inside `[0, W-1] × [0, H-1]`.
 *
 * @param box The detector box (px).
 * @param size The image size (px).
 * @param scale The growth factor the model was trained with (2.7 for `fr_liveness`).
 * @returns The crop and the context the image allowed.
 * @throws {RangeError} when the box is empty or not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { livenessCrop } from "./liveness_crop.ts";
 * // A 100×100 face in the middle of a 641×481 frame gets its full 2.7× context.
 * const c = livenessCrop({ x: 270, y: 190, width: 100, height: 100 }, { width: 641, height: 481 }, 2.7);
 * assert.deepEqual(c, { x: 185, y: 105, width: 270, height: 270, context: 2.7 });
 * // A face filling a 200×200 frame leaves no context.
 * const full = livenessCrop({ x: 10, y: 10, width: 180, height: 180 }, { width: 200, height: 200 }, 2.7);
 * assert.ok(full.context < 1.5);
 * ```
 */
export function livenessCrop(
  box: Box,
  size: { width: number; height: number },
  scale: number,
): LivenessCrop {
  if (
    ![box.x, box.y, box.width, box.height].every(Number.isFinite) || box.width <= 0 ||
    box.height <= 0
  ) {
    throw new RangeError(`livenessCrop: bad box ${JSON.stringify(box)}`);
  }
  const W = size.width, H = size.height;
  const context = Math.min((H - 1) / box.height, (W - 1) / box.width, scale);
  const w = box.width * context, h = box.height * context;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  let x0 = cx - w / 2, y0 = cy - h / 2, x1 = cx + w / 2, y1 = cy + h / 2;
  if (x0 < 0) [x1, x0] = [x1 - x0, 0];
  if (y0 < 0) [y1, y0] = [y1 - y0, 0];
  if (x1 > W - 1) [x0, x1] = [x0 - (x1 - W + 1), W - 1];
  if (y1 > H - 1) [y0, y1] = [y0 - (y1 - H + 1), H - 1];
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, context };
}
