/**
 * L2 distance between two unit vectors from their dot product: `d = sqrt(2 - 2·dot)`, clamped at 0
 * against rounding (a dot of `1 + 1e-7` gives 0, not NaN).
 */
export function unitDistance(dot: number): number {
  return Math.sqrt(Math.max(0, 2 - 2 * dot));
}
