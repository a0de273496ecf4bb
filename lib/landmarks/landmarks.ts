/**
 * 68-point landmarks (iBUG 300-W order) on a square face crop, and their reduction to the five
 * points of the ArcFace template.
 *
 * @module
 */
import type { Raster } from "../image/raster.ts";
import type { Box } from "../detect/box.ts";
import type { Point } from "../align/estimate_similarity.ts";
import { warpToTensor } from "../align/warp_to_tensor.ts";
import type { OrtSession } from "../onnx/mod.ts";
import { Tensor } from "../onnx/mod.ts";

const SIZE = 64;

/** When {@linkcode detectLandmarks} runs its second pass. */
export type LandmarkRefine = boolean | "auto";

/** Options for {@linkcode detectLandmarks}. */
export interface DetectLandmarksOptions {
  /**
   * Second pass on a crop re-centred on the first pass's points (steadier eyes for loose or
   * off-centre boxes): `true` always, `false` never, `"auto"` only when the first pass is not
   * confident, i.e. its points' centre lies more than `refineShift` × the crop side away from the
   * crop's centre (the second crop would then differ). Default: true.
   */
  refine?: LandmarkRefine;
  /** Shift (fraction of the crop side) above which `refine: "auto"` runs the second pass. Default: 0.05. */
  refineShift?: number;
  /**
   * Called once with the number of model runs made (1 or 2) and the first pass's
   * {@linkcode recentreShift} (NaN when `refine` is false). Default: none.
   */
  onPasses?: (passes: number, shift: number) => void;
}

/** The square crop the landmark model sees for a detector box: side = the box's longer side, same centre. */
export function landmarkCrop(box: Box): { cx: number; cy: number; side: number } {
  return {
    cx: box.x + box.width / 2,
    cy: box.y + box.height / 2,
    side: Math.max(box.width, box.height),
  };
}

/**
 * How far the re-centred crop moves from the first crop, as a fraction of the crop side
 * (the larger of the horizontal and vertical shifts). Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recentreShift } from "./landmarks.ts";
 * assert.equal(recentreShift({ cx: 50, cy: 50, side: 100 }, { cx: 53, cy: 49 }), 0.03);
 * ```
 */
export function recentreShift(
  first: { cx: number; cy: number; side: number },
  second: { cx: number; cy: number },
): number {
  return Math.max(Math.abs(second.cx - first.cx), Math.abs(second.cy - first.cy)) / first.side;
}

async function runIdempotent(
  session: OrtSession,
  raster: Raster,
  crop: { cx: number; cy: number; side: number },
): Promise<Point[]> {
  const s = SIZE / crop.side;
  const x0 = crop.cx - crop.side / 2, y0 = crop.cy - crop.side / 2;
  const input = warpToTensor(raster, [s, 0, -x0 * s, 0, s, -y0 * s], SIZE, SIZE, {
    channels: "gray",
    mean: 0,
    std: 256,
    fill: 127,
  });
  const out = await session.run({ input: new Tensor("float32", input, [1, 1, SIZE, SIZE]) });
  const v = out.output.data as Float32Array;
  const pts: Point[] = [];
  for (let i = 0; i < 68; i++) pts.push([x0 + v[2 * i] * crop.side, y0 + v[2 * i + 1] * crop.side]);
  return pts;
}

/**
 * Predicts 68 landmarks for the face in `box`, in source pixels.
 * @param session the 68-point model (input `input` 1×1×64×64 gray in [0,1), output 136 values).
 */
export async function detectLandmarks(
  session: OrtSession,
  raster: Raster,
  box: Box,
  options: DetectLandmarksOptions = {},
): Promise<Point[]> {
  const first = landmarkCrop(box);
  const pts = await runIdempotent(session, raster, first);
  const refine = options.refine ?? true;
  if (refine === false) {
    options.onPasses?.(1, NaN);
    return pts;
  }
  // Re-centre on the landmarks' own extent; keep the first pass's scale.
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of pts) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  const second = { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, side: first.side };
  const shift = recentreShift(first, second);
  if (refine === "auto" && shift <= (options.refineShift ?? 0.05)) {
    options.onPasses?.(1, shift);
    return pts;
  }
  options.onPasses?.(2, shift);
  return runIdempotent(session, raster, second);
}

function mean(points: Point[], idx: number[]): Point {
  let x = 0, y = 0;
  for (const i of idx) {
    x += points[i][0];
    y += points[i][1];
  }
  return [x / idx.length, y / idx.length];
}

/**
 * Reduces 68 iBUG points to the ArcFace five: eye centres (image-left first), nose tip, mouth
 * corners. Pure.
 * @throws {RangeError} when `points` does not have 68 entries.
 */
export function toFivePoints(points: Point[]): Point[] {
  if (points.length !== 68) throw new RangeError(`Expected 68 landmarks, got ${points.length}`);
  return [
    mean(points, [36, 37, 38, 39, 40, 41]),
    mean(points, [42, 43, 44, 45, 46, 47]),
    points[30],
    mean(points, [48, 60]),
    mean(points, [54, 64]),
  ];
}
