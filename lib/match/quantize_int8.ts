/** A vector quantised by {@linkcode quantizeInt8}: `v[i] ≈ data[i] · scale`. */
export interface QuantizedInt8 {
  /** Quantised components in `[-127, 127]` (−128 is never used, keeping the code symmetric). */
  data: Int8Array;
  /** Step size `max|v| / 127`; 0 for an all-zero (or empty) vector. */
  scale: number;
}

/**
 * Symmetric int8 quantisation with one scale per vector: `scale = max|v| / 127`,
 * `data[i] = round(v[i] / scale)`. A 512-d embedding shrinks from 2048 to 512 bytes plus the
 * scale; each component is off by at most `scale / 2` after {@linkcode dequantizeInt8} (for a unit
 * vector, at most `1 / 254` per component).
 *
 * @param v The vector.
 * @returns The quantised components and the scale.
 * @throws {RangeError} When a component is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type QuantizedInt8, quantizeInt8 } from "./quantize_int8.ts";
 * const q: QuantizedInt8 = quantizeInt8([0.5, -1, 0.25]);
 * assert.deepEqual(q.data, new Int8Array([64, -127, 32]));
 * assert.equal(q.scale, 1 / 127);
 * ```
 */
export function quantizeInt8(v: ArrayLike<number>): QuantizedInt8 {
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]);
    if (!Number.isFinite(a)) {
      throw new RangeError(`Cannot quantize vector: component ${i} is ${v[i]}`);
    }
    if (a > max) max = a;
  }
  const data = new Int8Array(v.length);
  if (max === 0) return { data, scale: 0 };
  const scale = max / 127;
  for (let i = 0; i < v.length; i++) {
    data[i] = Math.max(-127, Math.min(127, Math.round(v[i] / scale)));
  }
  return { data, scale };
}
