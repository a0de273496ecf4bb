/**
 * Eye state for the blink of a liveness challenge: how open each eye is, from the eye-state model
 * (`fr_eye.onnx`) on square gray crops around the 68-point landmarks' eye contours. The landmarks
 * themselves barely move on a blink; the crops' pixels do.
 *
 * @module
 */
import type { Raster } from "../image/mod.ts";
import type { Box } from "../detect/mod.ts";
import { type Point, warpToTensor } from "../align/mod.ts";
import { type OrtSession, Tensor } from "../onnx/mod.ts";
import type { EyeEntry } from "../../models/manifest.ts";
import { softmax } from "./score_liveness.ts";

/** How open the two eyes of a face are. */
export interface EyeState {
  /** Probability that the image-left eye (points 36-41, the person's right eye) is open, 0..1. */
  left: number;
  /** Probability that the image-right eye (points 42-47) is open, 0..1. */
  right: number;
}

/** The eye crop's side: the eye's corner-to-corner width times this. */
export const EYE_PADDING = 1.6;

/**
 * The two square eye crops of 68 landmarks: centred on the mean of each eye's lid points (37, 38,
 * 40, 41 and 43, 44, 46, 47), side {@linkcode EYE_PADDING} × the corner-to-corner distance (36-39,
 * 42-45).
 *
 * @throws {RangeError} when `points` does not have 68 entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eyeBoxes } from "./eye_state.ts";
 * const pts = Array.from({ length: 68 }, (): [number, number] => [0, 0]);
 * for (const [i, x] of [[36, 10], [37, 12], [38, 14], [39, 20], [40, 14], [41, 12]]) {
 *   pts[i] = [x, 5];
 * }
 * const [left] = eyeBoxes(pts);
 * assert.deepEqual(left, { x: 13 - 8, y: 5 - 8, width: 16, height: 16 });
 * ```
 */
export function eyeBoxes(points: Point[]): [Box, Box] {
  if (points.length !== 68) throw new RangeError(`Expected 68 landmarks, got ${points.length}`);
  const box = (lids: number[], a: number, b: number): Box => {
    let cx = 0, cy = 0;
    for (const i of lids) {
      cx += points[i][0] / lids.length;
      cy += points[i][1] / lids.length;
    }
    const side = Math.max(1, Math.hypot(points[b][0] - points[a][0], points[b][1] - points[a][1])) *
      EYE_PADDING;
    return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
  };
  return [box([37, 38, 40, 41], 36, 39), box([43, 44, 46, 47], 42, 45)];
}

/** The model input of one eye crop: gray, resized to the model's square input, `x / 255`. */
export function eyeTensor(raster: Raster, box: Box, entry: EyeEntry): Float32Array {
  const [, , h, w] = entry.input.shape;
  const sx = w / box.width, sy = h / box.height;
  return warpToTensor(
    raster,
    [sx, 0, (0.5 - box.x) * sx - 0.5, 0, sy, (0.5 - box.y) * sy - 0.5],
    w,
    h,
    { channels: "gray", mean: 0, std: 255, fill: 127.5 },
  );
}

/**
 * Scores how open both eyes of a face are with the eye-state model (the manifest's `open_class`
 * is the softmax class meaning open).
 *
 * @param session The eye model's session.
 * @param raster The image the landmarks are in.
 * @param points The face's 68 landmarks (px of `raster`).
 * @param entry The manifest's eye entry.
 */
export async function scoreEyes(
  session: OrtSession,
  raster: Raster,
  points: Point[],
  entry: EyeEntry,
): Promise<EyeState> {
  const [left, right] = eyeBoxes(points);
  const run = async (box: Box) => {
    const out = await session.run({
      [entry.input.name]: new Tensor("float32", eyeTensor(raster, box, entry), entry.input.shape),
    });
    return softmax(out[session.outputNames[0]].data as Float32Array)[entry.open_class];
  };
  return { left: await run(left), right: await run(right) };
}
