/**
 * Row placement and quantisation of {@linkcode GalleryIndex}: where each face's row goes in the
 * chunked float32 and int8 arrays, and how arrays grow.
 *
 * @module
 */
import { type DotsKernel, instantiateDotsKernel } from "./_dots_kernel.ts";
import type { GalleryIndexOptions } from "./gallery_index.ts";

/** Rows per chunk of the probe scan's output. */
export const CHUNK = 4096;

/** Int8 rows and the SIMD kernel whose memory holds them (null: a plain array). */
export interface PlacedRows {
  rows: Int8Array;
  kernel: DotsKernel | null;
}

/**
 * Room for `n` int8 rows of `dim`: in the SIMD kernel's memory when it can hold them (with the
 * probe and output space after them), else in an array. Given `from`, grows it keeping its rows
 * (a wasm memory grows in place; an array, or rows the kernel cannot grow to hold, are copied).
 */
export function placeRows(
  n: number,
  dim: number,
  options: GalleryIndexOptions,
  from?: PlacedRows,
): PlacedRows {
  let kernel = from
    ? from.kernel
    : options.simd === false || dim % 16 !== 0
    ? null
    : instantiateDotsKernel();
  if (kernel) {
    const need = n * dim + dim + 16 + CHUNK * 4;
    const have = kernel.memory.buffer.byteLength;
    try {
      if (need > have) kernel.memory.grow(Math.ceil((need - have) / 65536));
      return { rows: new Int8Array(kernel.memory.buffer, 0, n * dim), kernel };
    } catch {
      kernel = null;
    }
  }
  const rows = new Int8Array(n * dim);
  if (from) rows.set(from.rows.subarray(0, Math.min(from.rows.length, rows.length)));
  return { rows, kernel };
}

/**
 * Quantises `n` float rows of `v` to int8 with one scale per row (as `quantizeInt8`), written in
 * place into `rows` / `scales` from row `at` on (no per-face allocation).
 */
export function quantizeRows(
  v: Float32Array,
  n: number,
  dim: number,
  rows: Int8Array,
  scales: Float32Array,
  at: number,
): void {
  for (let i = 0, off = 0; i < n; i++, off += dim) {
    let max = 0;
    for (let j = off; j < off + dim; j++) {
      const a = Math.abs(v[j]);
      if (a > max) max = a;
    }
    if (!Number.isFinite(max)) {
      throw new RangeError(`Cannot index gallery: face ${at + i} is not finite`);
    }
    const out = (at + i) * dim - off;
    if (max === 0) {
      rows.fill(0, off + out, off + out + dim);
      scales[at + i] = 0;
      continue;
    }
    const inv = 127 / max;
    for (let j = off; j < off + dim; j++) rows[out + j] = Math.round(v[j] * inv);
    scales[at + i] = max / 127;
  }
}

/** A copy of `a` with room for `length` elements. */
export function grown<T extends Int8Array | Float32Array | Int32Array | Float64Array>(
  a: T,
  length: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  (b as Int8Array).set(a as Int8Array);
  return b;
}
