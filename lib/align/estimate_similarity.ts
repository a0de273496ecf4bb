import type { Affine } from "./affine.ts";

/** A 2-D point `[x, y]`. */
export type Point = [number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation) mapping `src` onto
 * `dst` (Umeyama 1991, without reflection). Pure.
 *
 * @returns the affine `[a, b, c, d, e, f]` with `a = e = s·cosθ`, `d = −b = s·sinθ`.
 * @throws {RangeError} with fewer than 2 point pairs, mismatched lengths or degenerate points.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateSimilarity } from "./estimate_similarity.ts";
 * const m = estimateSimilarity([[0, 0], [1, 0]], [[10, 10], [10, 12]]); // rotate 90°, scale 2
 * assert.ok(Math.abs(m[0]) < 1e-9 && Math.abs(m[3] - 2) < 1e-9 && Math.abs(m[2] - 10) < 1e-9);
 * ```
 */
export function estimateSimilarity(src: Point[], dst: Point[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n) {
    throw new RangeError(
      `Cannot estimate a similarity: need ≥2 matching points, got ${n}/${dst.length}`,
    );
  }
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  // With centred points p (src) and q (dst), the optimal rotation+scale as a complex number is
  // Σ conj(p)·q / Σ |p|² — the 2-D closed form of Umeyama's SVD solution (no reflection).
  let re = 0, im = 0, varSrc = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - sx, py = src[i][1] - sy;
    const qx = dst[i][0] - dx, qy = dst[i][1] - dy;
    re += px * qx + py * qy;
    im += px * qy - py * qx;
    varSrc += px * px + py * py;
  }
  if (varSrc < 1e-12) throw new RangeError("Cannot estimate a similarity: source points coincide");
  const a = re / varSrc, d = im / varSrc;
  if (a * a + d * d < 1e-18) {
    throw new RangeError("Cannot estimate a similarity: destination points coincide");
  }
  return [a, -d, dx - (a * sx - d * sy), d, a, dy - (d * sx + a * sy)];
}
