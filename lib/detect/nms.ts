import { type Detection, intersection, iou } from "./box.ts";

/** Options for {@linkcode nms}. */
export interface NmsOptions {
  /** Suppress a box whose IoU with a kept, higher-scoring box is above this. Default: 0.4. */
  iouThreshold?: number;
  /**
   * Also suppress a box when this fraction of the smaller box lies inside a kept one (removes a
   * partial face found by a tile inside a whole face found at a coarser scale). Default: 0.8.
   */
  containThreshold?: number;
}

/**
 * Greedy non-maximum suppression: keeps the highest-scoring detection, drops those overlapping it,
 * repeats. Returns the kept detections sorted by descending score. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nms } from "./nms.ts";
 * const kept = nms([
 *   { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.9 },
 *   { box: { x: 1, y: 1, width: 10, height: 10 }, score: 0.8 },
 *   { box: { x: 50, y: 50, width: 10, height: 10 }, score: 0.7 },
 * ]);
 * assert.ok(kept.length === 2 && kept[1].score === 0.7);
 * ```
 */
export function nms(detections: Detection[], options: NmsOptions = {}): Detection[] {
  const iouMax = options.iouThreshold ?? 0.4;
  const containMax = options.containThreshold ?? 0.8;
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const det of sorted) {
    const area = det.box.width * det.box.height;
    const suppressed = kept.some((k) => {
      if (iou(k.box, det.box) > iouMax) return true;
      const smaller = Math.min(area, k.box.width * k.box.height);
      return smaller > 0 && intersection(k.box, det.box) / smaller > containMax;
    });
    if (!suppressed) kept.push(det);
  }
  return kept;
}
