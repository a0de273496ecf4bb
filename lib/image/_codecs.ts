/**
 * Thin loaders over imagescript's WebAssembly codecs (`wasm/any/jpeg.wasm`, `wasm/any/png.wasm`).
 * They take an already compiled `WebAssembly.Module` (so a Workers entry can import the `.wasm`
 * files as modules) and keep one instance per module, reused by every decode: decodes are
 * synchronous, so they never overlap, and the instance's linear memory — which can only grow —
 * stays at the largest decode so far. An instance whose memory grew past
 * {@linkcode KEEP_INSTANCE_BYTES} (24 MiB) is dropped after its decode, so at most that much stays
 * pinned per codec in an isolate (Workers have 128 MiB). A fresh instance per decode freed its memory only when the garbage collector ran,
 * which wasm memory does not prompt: 20 decodes of one 7071×7071 JPEG grew the process by 360 MiB
 * (issue 20); reused, by one decode's memory. An instance whose decode failed (a trap can leave
 * its allocator in any state) is dropped. Errors are plain `Error`s (including wasm traps);
 * `decodeImage` turns them into `FaceError`s.
 *
 * @module
 */

/** A decoded frame as the codecs return it. */
export interface CodecFrame {
  width: number;
  height: number;
  /** RGBA 8-bit, `width * height * 4` long. */
  data: Uint8Array;
}

interface JpegExports {
  memory: WebAssembly.Memory;
  wlen(): number;
  walloc(size: number): number;
  wfree(ptr: number, size: number): void;
  decode(ptr: number, len: number, width: number, height: number): number;
  decode_width(ptr: number): number;
  decode_height(ptr: number): number;
  decode_format(ptr: number): number;
  decode_buffer(ptr: number): number;
  decode_free(ptr: number): void;
}

interface PngExports {
  memory: WebAssembly.Memory;
  walloc(size: number): number;
  wfree(ptr: number): void;
  decode(ptr: number, len: number): number;
  width(): number;
  height(): number;
  _initialize?: () => void;
}

/**
 * Decodes a JPEG with imagescript's jpeg.wasm (Rust `jpeg-decoder`). When `targetWidth` and
 * `targetHeight` are > 0 the decoder scales in the DCT domain to the smallest of 1/1, 1/2, 1/4
 * or 1/8 that is still at least that size; 0 means full size.
 */
export function decodeJpegWasm(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  targetWidth = 0,
  targetHeight = 0,
): CodecFrame {
  return withInstance(module, () => new WebAssembly.Instance(module), (instance) => {
    const wasm = instance.exports as unknown as JpegExports;
    const inPtr = wasm.walloc(bytes.length);
    new Uint8Array(wasm.memory.buffer, inPtr, bytes.length).set(bytes);
    // decode() consumes (frees) its input buffer.
    const ptr = wasm.decode(inPtr, bytes.length, targetWidth, targetHeight);
    if (ptr === 0) throw new Error("jpeg.wasm could not decode the data");
    if (ptr === 1) throw new Error("jpeg.wasm could not scale the decoder");
    try {
      const width = wasm.decode_width(ptr);
      const height = wasm.decode_height(ptr);
      const format = wasm.decode_format(ptr);
      const src = new Uint8Array(wasm.memory.buffer, wasm.decode_buffer(ptr), wasm.wlen());
      return { width, height, data: jpegToRgba(src, width, height, format) };
    } finally {
      wasm.decode_free(ptr);
    }
  });
}

const instances = new WeakMap<WebAssembly.Module, WebAssembly.Instance>();
/** Largest linear memory an instance may keep for the next decode. */
export const KEEP_INSTANCE_BYTES = 24 * 1024 * 1024;

/**
 * Runs `use` on the module's one instance (created by `create` when there is none); an instance
 * whose use threw is dropped, so the next decode starts from a fresh one.
 */
function withInstance<T>(
  module: WebAssembly.Module,
  create: () => WebAssembly.Instance,
  use: (instance: WebAssembly.Instance) => T,
): T {
  let instance = instances.get(module);
  if (instance === undefined) {
    instance = create();
    instances.set(module, instance);
  }
  try {
    const out = use(instance);
    const memory = instance.exports.memory as WebAssembly.Memory;
    if (memory.buffer.byteLength > KEEP_INSTANCE_BYTES) instances.delete(module);
    return out;
  } catch (err) {
    instances.delete(module);
    throw err;
  }
}

/** Expands the jpeg-decoder pixel formats (0 = L8, 1 = RGB24, 2 = CMYK32) to RGBA. */
function jpegToRgba(src: Uint8Array, width: number, height: number, format: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 4);
  const channels = format === 0 ? 1 : format === 1 ? 3 : format === 2 ? 4 : 0;
  if (channels === 0) throw new Error(`jpeg.wasm returned unknown pixel format ${format}`);
  if (src.length < n * channels) {
    throw new Error(`jpeg.wasm returned ${src.length} bytes for ${width}x${height}x${channels}`);
  }
  for (let i = 0, o = 0, s = 0; i < n; i++, o += 4, s += channels) {
    if (channels === 1) {
      out[o] = out[o + 1] = out[o + 2] = src[s];
    } else if (channels === 3) {
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    } else {
      // The decoder un-inverts Adobe CMYK, so these are ink amounts (0 = none). imagescript's
      // own loader multiplies them as if inverted, which turns white paper black; we do not.
      const k = 255 - src[s + 3];
      out[o] = ((255 - src[s]) * k) / 255;
      out[o + 1] = ((255 - src[s + 1]) * k) / 255;
      out[o + 2] = ((255 - src[s + 2]) * k) / 255;
    }
    out[o + 3] = 255;
  }
  return out;
}

/** Decodes a PNG with imagescript's png.wasm (Rust `png` crate, output normalised to RGBA8). */
export function decodePngWasm(module: WebAssembly.Module, bytes: Uint8Array): CodecFrame {
  const create = () =>
    new WebAssembly.Instance(module, {
      env: { emscripten_notify_memory_growth() {/* views are re-created on use */} },
    });
  return withInstance(module, create, (instance) => {
    const wasm = instance.exports as unknown as PngExports;
    const memory = wasm.memory;
    const inPtr = wasm.walloc(bytes.length);
    new Uint8Array(memory.buffer, inPtr, bytes.length).set(bytes);
    const status = wasm.decode(inPtr, bytes.length);
    wasm.wfree(inPtr);
    if (status < 0) throw new Error(`png.wasm could not decode the data (status ${status})`);
    const width = wasm.width();
    const height = wasm.height();
    const data = new Uint8Array(memory.buffer).slice(status, status + width * height * 4);
    wasm.wfree(status);
    if (data.length !== width * height * 4) {
      throw new Error(`png.wasm returned ${data.length} bytes for ${width}x${height} RGBA`);
    }
    return { width, height, data };
  });
}
