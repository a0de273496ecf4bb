/**
 * The WebAssembly SIMD kernel behind {@linkcode GalleryIndex}: `dots(g, p, n, dim, out)` writes
 * `out[i] = Σ_j g[i·dim + j] · p[j]` for `n` int8 rows (dim a multiple of 16) as i32, 32 products
 * per iteration (`i16x8.extend_*_i8x16_s` + `i32x4.dot_i16x8_s`). Source: `_dots.wat` beside this
 * file, assembled with wabt's `wat2wasm`.
 *
 * @module
 */

/** The kernel's exports. */
export interface DotsKernel {
  memory: WebAssembly.Memory;
  dots(g: number, p: number, n: number, dim: number, out: number): void;
}

const DOTS_WASM_BASE64 =
  "AGFzbQEAAAABCQFgBX9/f39/AAMCAQAFAwEAAQcRAgZtZW1vcnkCAARkb3RzAAAKswEBsAECAn8DeyAEIAJBAnRqIQUCQANAIAQgBU8NAf0MAAAAAAAAAAAAAAAAAAAAACEHQQAhBgNAIAAgBmr9AAQAIQggASAGav0ABAAhCSAHIAj9hwEgCf2HAf26Af2uASEHIAcgCP2IASAJ/YgB/boB/a4BIQcgBkEQaiEGIAYgA0kNAAsgBCAH/RsAIAf9GwFqIAf9GwIgB/0bA2pqNgIAIAAgA2ohACAEQQRqIQQMAAsLCw==";

/** The kernel's `.wasm` bytes (a build step writes them beside a Workers bundle). */
export function dotsKernelBytes(): Uint8Array {
  return Uint8Array.fromBase64(DOTS_WASM_BASE64);
}

let compiled: WebAssembly.Module | null | undefined;

/** Hands over a precompiled kernel (runtimes that cannot compile wasm from bytes, e.g. Workers). */
export function setDotsKernelModule(module: WebAssembly.Module | null): void {
  compiled = module;
}

/**
 * A fresh kernel instance, or null when this runtime cannot compile or run it (no SIMD, or
 * compiling from bytes is forbidden): callers then scan in JavaScript.
 */
export function instantiateDotsKernel(): DotsKernel | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(dotsKernelBytes() as BufferSource);
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return null;
  try {
    return new WebAssembly.Instance(compiled).exports as unknown as DotsKernel;
  } catch {
    return null;
  }
}
