import type { QuantizedInt8 } from "./quantize_int8.ts";

/**
 * Inverse of {@linkcode quantizeInt8}: `v[i] = data[i] · scale`. Each component is within
 * `scale / 2` of the original. The result is not re-normalised; call {@linkcode normalize} if a
 * unit vector is needed.
 *
 * @param q The quantised vector.
 * @returns A new `Float32Array`.
 * @throws {RangeError} When `scale` is negative or not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dequantizeInt8 } from "./dequantize_int8.ts";
 * const v = dequantizeInt8({ data: new Int8Array([127, -64]), scale: 0.5 / 127 });
 * assert.deepEqual(v, new Float32Array([0.5, -64 * 0.5 / 127]));
 * ```
 */
export function dequantizeInt8(q: QuantizedInt8): Float32Array {
  const { data, scale } = q;
  if (!(scale >= 0) || !Number.isFinite(scale)) {
    throw new RangeError(`Cannot dequantize vector: scale must be >= 0, got ${scale}`);
  }
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * scale;
  return out;
}
