/**
 * Prepares onnxruntime-web's single-file WebAssembly build (`dist/ort.wasm.bundle.min.mjs`) for
 * Cloudflare Workers, which forbid compiling WebAssembly from bytes and have no
 * `import.meta.url`.
 *
 * ort builds the emscripten module config itself and never passes emscripten's `instantiateWasm`
 * hook through, and without that hook emscripten computes the `.wasm` URL from
 * `import.meta.url` (a TypeError on Workers) and then compiles bytes. The one patch below passes
 * `ort.env.wasm.instantiateWasm` through when it is set; when it is not, ort behaves exactly as
 * before. The patch is applied to the pinned file and the build fails if the text it expects is
 * not there exactly once (e.g. after an onnxruntime-web upgrade): check the new file, then adjust.
 *
 * @module
 */

/** The onnxruntime-web version the patch was written for (deno.json pins it). */
export const ORT_VERSION = "1.23.0";

/** The text ort 1.23.0 builds the emscripten config with (`t` is `ort.env.wasm`). */
const NEEDLE = "let S={numThreads:s};if(h)S.wasmBinary=h;";
const PATCHED = "let S={numThreads:s,instantiateWasm:t.instantiateWasm};if(h)S.wasmBinary=h;";
/** Where `t` is bound to the flags: the same function reads `wasmBinary` from it. */
const FLAGS_BINDING = "h=t.wasmBinary,";

/**
 * Returns `ort.wasm.bundle.min.mjs` with the `instantiateWasm` pass-through and without its
 * source-map comment (the map is not shipped).
 *
 * @param source The file's text, from onnxruntime-web {@linkcode ORT_VERSION}.
 * @returns The patched text.
 * @throws {Error} When the expected text is not found exactly once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { patchOrtWasmBundle } from "./patch_ort_wasm_bundle.ts";
 * const src = "a;h=t.wasmBinary,b;let S={numThreads:s};if(h)S.wasmBinary=h;c";
 * assert.match(patchOrtWasmBundle(src), /instantiateWasm:t\.instantiateWasm/);
 * assert.throws(() => patchOrtWasmBundle("x"), /expected text/);
 * ```
 */
export function patchOrtWasmBundle(source: string): string {
  for (const text of [NEEDLE, FLAGS_BINDING]) {
    const count = source.split(text).length - 1;
    if (count !== 1) {
      throw new Error(
        `Cannot patch ort.wasm.bundle.min.mjs: expected text ${
          JSON.stringify(text)
        } found ${count} times (written for onnxruntime-web@${ORT_VERSION})`,
      );
    }
  }
  return source.replace(NEEDLE, PATCHED).replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n");
}
