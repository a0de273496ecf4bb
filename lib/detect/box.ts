/** An axis-aligned box in image pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A detected face: its box and the detector's confidence in [0, 1]. */
export interface Detection {
  box: Box;
  score: number;
}

/**
 * Intersection over union of two boxes (0 when either is empty).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { iou } from "./box.ts";
 * assert.equal(iou({ x: 0, y: 0, width: 2, height: 2 }, { x: 1, y: 0, width: 2, height: 2 }), 1 / 3);
 * ```
 */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Area of the intersection of two boxes. */
export function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * A box rounded to 0.1 px, as answers carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { roundBox } from "./box.ts";
 * assert.deepEqual(roundBox({ x: 1.04, y: 2.06, width: 3, height: 4.449 }), {
 *   x: 1,
 *   y: 2.1,
 *   width: 3,
 *   height: 4.4,
 * });
 * ```
 */
export function roundBox(box: Box): Box {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
}
