/**
 * 2-D affine maps as `[a, b, c, d, e, f]`: `x' = a·x + b·y + c`, `y' = d·x + e·y + f`.
 *
 * @module
 */

/** A 2×3 affine matrix in row-major order. */
export type Affine = [number, number, number, number, number, number];

/**
 * Inverts an affine map.
 * @throws {RangeError} when the map is singular.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { invertAffine } from "./affine.ts";
 * const inv = invertAffine([2, 0, 1, 0, 2, 3]);
 * assert.ok(inv[0] === 0.5 && inv[2] === -0.5 && inv[5] === -1.5);
 * ```
 */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new RangeError("Cannot invert affine map: it is singular");
  }
  const ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Applies an affine map to a point. */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** The scale of a similarity map (length of its first column). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}
