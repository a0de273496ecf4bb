/**
 * Scales a vector to unit L2 norm. The input is not modified.
 *
 * @param v The vector.
 * @returns A new `Float32Array` of the same length with `‖v‖ = 1` (up to float32 rounding).
 * @throws {RangeError} When `v` is zero, empty or has a non-finite norm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalize } from "./normalize.ts";
 * assert.deepEqual(normalize([3, 4]), new Float32Array([0.6, 0.8]));
 * assert.throws(() => normalize([0, 0]), RangeError);
 * ```
 */
export function normalize(v: ArrayLike<number>): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] * v[i];
  const norm = Math.sqrt(sum);
  if (!(norm > 0) || !Number.isFinite(norm)) {
    throw new RangeError(
      `Cannot normalize vector: its norm is ${norm === 0 ? "zero" : String(norm)}`,
    );
  }
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] / norm;
  return out;
}
