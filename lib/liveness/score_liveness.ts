/**
 * Passive liveness: how likely a face is a live person in front of the camera rather than a
 * print, a screen or a mask, from one still.
 *
 * @module
 */
import type { Raster } from "../image/mod.ts";
import type { Box } from "../detect/mod.ts";
import { warpToTensor } from "../align/mod.ts";
import { type OrtSession, Tensor } from "../onnx/mod.ts";
import type { LivenessEntry } from "../../models/manifest.ts";
import { livenessCrop } from "./liveness_crop.ts";

/** What the passive model says of one face. */
export interface LivenessScore {
  /** Probability of the bona fide class, 0..1 (higher = live). */
  score: number;
  /**
   * The context the image allowed around the face (`LivenessCrop.context`): below the manifest's
   * `crop.min_context` the face is not judged (a non-response) and `score` is NaN.
   */
  context: number;
  /** Whether the model could judge the face (enough context). */
  judged: boolean;
}

/**
 * The softmax of `logits`, numerically stable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmax } from "./score_liveness.ts";
 * const p = softmax([0, Math.log(3)]);
 * assert.ok(Math.abs(p[0] - 0.25) < 1e-9 && Math.abs(p[1] - 0.75) < 1e-9);
 * ```
 */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const e = Array.from(logits, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * The model input of a face: the crop of {@linkcode livenessCrop} resized (bilinear, box-filtered
 * when it shrinks by 2× or more) to the model's square input, planar in the manifest's channel
 * order, raw 0..255 values.
 */
export function livenessTensor(raster: Raster, box: Box, entry: LivenessEntry): {
  tensor: Float32Array;
  context: number;
} {
  const crop = livenessCrop(box, raster, entry.crop.scale);
  const [, , h, w] = entry.input.shape;
  const sx = w / crop.width, sy = h / crop.height;
  // Source pixel centre → output pixel centre (OpenCV resize's convention).
  const tensor = warpToTensor(
    raster,
    [sx, 0, (0.5 - crop.x) * sx - 0.5, 0, sy, (0.5 - crop.y) * sy - 0.5],
    w,
    h,
    { channels: entry.input.channels === "RGB" ? "rgb" : "bgr", mean: 0, std: 1, fill: 0 },
  );
  return { tensor, context: crop.context };
}

/**
 * Scores one face of a raster with the passive liveness model. A face with less context than the
 * manifest's `crop.min_context` is not run (`judged: false`): the model needs the surroundings
 * (a print's edge, a screen's bezel, the hand holding it) and a face filling the frame hides them.
 *
 * @param session The liveness model's session.
 * @param raster The image the box is in.
 * @param box The detector box (px of `raster`).
 * @param entry The manifest's liveness entry.
 */
export async function scoreLiveness(
  session: OrtSession,
  raster: Raster,
  box: Box,
  entry: LivenessEntry,
): Promise<LivenessScore> {
  const { tensor, context } = livenessTensor(raster, box, entry);
  if (context < entry.crop.min_context) return { score: NaN, context, judged: false };
  const out = await session.run({
    [entry.input.name]: new Tensor("float32", tensor, entry.input.shape),
  });
  const logits = out[session.outputNames[0]].data as Float32Array;
  return { score: softmax(logits)[0], context, judged: true };
}
