/**
 * An int8 copy of a packed gallery (one scale per face, `quantizeInt8`) and a nearest-subject scan
 * over it with integer dot products: 4× less memory than float32 and the scan the scale benchmark
 * compares with `searchGallery`. Bench-only prototype of a shard's in-memory index.
 *
 * @module
 */
import type { Gallery } from "../lib/store/mod.ts";
import { quantizeInt8 } from "../lib/match/mod.ts";

/** A gallery with int8 rows. */
export interface Int8Gallery {
  dim: number;
  subjects: string[];
  subjectIndex: Int32Array;
  faceIds: string[];
  /** `n × dim` quantised components. */
  data: Int8Array;
  /** Per-face scale (`v ≈ data · scale`). */
  scales: Float32Array;
}

/** Quantises every row of `g`. */
export function quantizeGallery(g: Gallery): Int8Gallery {
  const n = g.faceIds.length, dim = g.dim;
  const data = new Int8Array(n * dim);
  const scales = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const q = quantizeInt8(g.vectors.subarray(i * dim, (i + 1) * dim));
    data.set(q.data, i * dim);
    scales[i] = q.scale;
  }
  return {
    dim,
    subjects: g.subjects,
    subjectIndex: g.subjectIndex,
    faceIds: g.faceIds,
    data,
    scales,
  };
}

/** One result of {@linkcode searchInt8}. */
export interface Int8Candidate {
  subject: string;
  /** Approximate L2 distance from the int8 dot product. */
  distance: number;
  face_id: string;
}

/** Integer dot product of two int8 rows (sums stay far below 2³¹ for dim ≤ 100k). */
function dotI8(a: Int8Array, ao: number, b: Int8Array, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let j = 0; j < dim; j += 4) {
    s0 = (s0 + a[ao + j] * b[j]) | 0;
    s1 = (s1 + a[ao + j + 1] * b[j + 1]) | 0;
    s2 = (s2 + a[ao + j + 2] * b[j + 2]) | 0;
    s3 = (s3 + a[ao + j + 3] * b[j + 3]) | 0;
  }
  return (s0 + s1 + s2 + s3) | 0;
}

/**
 * The `k` nearest subjects (nearest face per subject) of an int8 gallery; `dim` must be a
 * multiple of 4.
 */
export function searchInt8(g: Int8Gallery, probe: ArrayLike<number>, k = 5): Int8Candidate[] {
  const q = quantizeInt8(probe);
  const n = g.faceIds.length, dim = g.dim;
  const best = new Float64Array(g.subjects.length).fill(-Infinity);
  const bestFace = new Int32Array(g.subjects.length).fill(-1);
  for (let i = 0, off = 0; i < n; i++, off += dim) {
    const dot = dotI8(g.data, off, q.data, dim) * g.scales[i];
    const si = g.subjectIndex[i];
    if (dot > best[si]) {
      best[si] = dot;
      bestFace[si] = i;
    }
  }
  // Top k by a partial selection (k is small).
  const top: number[] = [];
  for (let si = 0; si < best.length; si++) {
    if (bestFace[si] < 0) continue;
    if (top.length < k) {
      top.push(si);
      top.sort((a, b) => best[b] - best[a]);
    } else if (best[si] > best[top[k - 1]]) {
      top[k - 1] = si;
      top.sort((a, b) => best[b] - best[a]);
    }
  }
  return top.map((si) => ({
    subject: g.subjects[si],
    distance: Math.sqrt(Math.max(0, 2 - 2 * best[si] * q.scale)),
    face_id: g.faceIds[bestFace[si]],
  }));
}

/**
 * `dots(g, p, n, dim, out)`: `out[i] = Σ_j g[i·dim + j] · p[j]` over int8 rows with WebAssembly SIMD
 * (`i16x8.extend_*_i8x16_s` + `i32x4.dot_i16x8_s`, 32 products per iteration). Source: the WAT in
 * `bench/_dots.wat`, assembled with `wat2wasm` (wabt).
 */
const DOTS_WASM =
  "AGFzbQEAAAABCQFgBX9/f39/AAMCAQAFAwEAAQcRAgZtZW1vcnkCAARkb3RzAAAKswEBsAECAn8DeyAEIAJBAnRqIQUCQANAIAQgBU8NAf0MAAAAAAAAAAAAAAAAAAAAACEHQQAhBgNAIAAgBmr9AAQAIQggASAGav0ABAAhCSAHIAj9hwEgCf2HAf26Af2uASEHIAcgCP2IASAJ/YgB/boB/a4BIQcgBkEQaiEGIAYgA0kNAAsgBCAH/RsAIAf9GwFqIAf9GwIgB/0bA2pqNgIAIAAgA2ohACAEQQRqIQQMAAsLCw==";

interface DotsExports {
  memory: WebAssembly.Memory;
  dots(g: number, p: number, n: number, dim: number, out: number): void;
}

const CHUNK = 4096;

/**
 * An int8 gallery held in WebAssembly memory and scanned with SIMD; same results as
 * {@linkcode searchInt8}. `dim` must be a multiple of 16.
 */
export class WasmInt8Index {
  readonly gallery: Int8Gallery;
  #wasm: DotsExports;
  #probePtr: number;
  #outPtr: number;

  constructor(g: Int8Gallery) {
    if (g.dim % 16 !== 0) throw new RangeError(`WasmInt8Index needs dim % 16 == 0, got ${g.dim}`);
    const bytes = Uint8Array.from(atob(DOTS_WASM), (c) => c.charCodeAt(0));
    this.#wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes))
      .exports as unknown as DotsExports;
    const rows = g.data.length;
    this.#probePtr = rows;
    this.#outPtr = rows + g.dim + ((16 - (g.dim % 16)) % 16);
    const need = this.#outPtr + CHUNK * 4;
    const have = this.#wasm.memory.buffer.byteLength;
    if (need > have) this.#wasm.memory.grow(Math.ceil((need - have) / 65536));
    const view = new Int8Array(this.#wasm.memory.buffer, 0, rows);
    view.set(g.data);
    // The wasm memory now holds the rows: drop the JS copy.
    this.gallery = { ...g, data: view };
  }

  /** Bytes of WebAssembly memory in use. */
  get memoryBytes(): number {
    return this.#wasm.memory.buffer.byteLength;
  }

  /** The `k` nearest subjects, as {@linkcode searchInt8}. */
  search(probe: ArrayLike<number>, k = 5): Int8Candidate[] {
    const g = this.gallery, dim = g.dim, n = g.faceIds.length;
    const q = quantizeInt8(probe);
    const buf = this.#wasm.memory.buffer;
    new Int8Array(buf, this.#probePtr, dim).set(q.data);
    const out = new Int32Array(buf, this.#outPtr, CHUNK);
    const best = new Float64Array(g.subjects.length).fill(-Infinity);
    const bestFace = new Int32Array(g.subjects.length).fill(-1);
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      this.#wasm.dots(start * dim, this.#probePtr, m, dim, this.#outPtr);
      for (let r = 0; r < m; r++) {
        const i = start + r;
        const dot = out[r] * g.scales[i];
        const si = g.subjectIndex[i];
        if (dot > best[si]) {
          best[si] = dot;
          bestFace[si] = i;
        }
      }
    }
    const top: number[] = [];
    for (let si = 0; si < best.length; si++) {
      if (bestFace[si] < 0) continue;
      if (top.length < k || best[si] > best[top[top.length - 1]]) {
        if (top.length === k) top.pop();
        let p = top.length;
        while (p > 0 && best[top[p - 1]] < best[si]) p--;
        top.splice(p, 0, si);
      }
    }
    return top.map((si) => ({
      subject: g.subjects[si],
      distance: Math.sqrt(Math.max(0, 2 - 2 * best[si] * q.scale)),
      face_id: g.faceIds[bestFace[si]],
    }));
  }
}
