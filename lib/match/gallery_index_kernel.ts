/**
 * The WebAssembly SIMD kernel of {@linkcode GalleryIndex}: hand it a precompiled module, or get its
 * bytes for a build step.
 *
 * @module
 */
import { dotsKernelBytes, setDotsKernelModule } from "./_dots_kernel.ts";

/**
 * Hands {@linkcode GalleryIndex} a precompiled SIMD kernel, for runtimes that cannot compile
 * WebAssembly from bytes (Cloudflare Workers import it as a module). Elsewhere it is compiled
 * lazily from the embedded bytes.
 */
export function setGalleryIndexKernel(module: WebAssembly.Module): void {
  setDotsKernelModule(module);
}

/** The SIMD kernel's `.wasm` bytes, for a build step that ships it as a module. */
export function galleryIndexKernelBytes(): Uint8Array {
  return dotsKernelBytes();
}
