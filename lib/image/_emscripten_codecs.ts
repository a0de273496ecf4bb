/**
 * Loaders over the emscripten codecs of `@jsquash/webp` (libwebp), `@jsquash/avif` (libavif +
 * dav1d) and `libheif-js` (libheif + libde265). Each takes an already compiled
 * `WebAssembly.Module` (Workers import the `.wasm` as a module; nothing is compiled at run time)
 * and instantiates it through emscripten's `instantiateWasm` hook once per decode: an emscripten
 * linear memory starts at 16 MiB and only grows, so a fresh instance per decode gives it back with
 * the instance instead of pinning the largest image's memory for the isolate. Errors are plain
 * `Error`s (including wasm traps); `decodeImage` turns them into `FaceError`s.
 *
 * @module
 */
import webpFactory from "@jsquash/webp/codec/dec/webp_dec.js";
import avifFactory from "@jsquash/avif/codec/dec/avif_dec.js";
import libheifFactory from "libheif-js/libheif-wasm/libheif.js";
import type { CodecFrame } from "./_codecs.ts";

/** A decoded frame plus the codec's linear memory at the end of the decode (its peak). */
export interface WasmFrame extends CodecFrame {
  wasmBytes: number;
}

type Receive = (instance: WebAssembly.Instance, module: WebAssembly.Module) => void;
// deno-lint-ignore no-explicit-any
type Emscripten = any;

/**
 * The `ImageData` the jsquash decoders construct their result with (embind looks it up on
 * `globalThis`): browsers have it; Deno and workerd may not, and the glue only adds it where it
 * recognises Node or a service worker.
 */
class CodecImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

/** Instantiates `module` for an emscripten factory; `memory` reads its linear memory. */
function instantiate(
  factory: (options: Record<string, unknown>) => Emscripten,
  module: WebAssembly.Module,
): { instance: Promise<Emscripten>; memory: () => WebAssembly.Memory } {
  const g = globalThis as { ImageData?: unknown };
  g.ImageData ??= CodecImageData;
  let memory: WebAssembly.Memory | undefined;
  const instance = Promise.resolve(factory({
    noInitialRun: true,
    print: () => {},
    printErr: () => {},
    instantiateWasm(imports: WebAssembly.Imports, receive: Receive) {
      const inst = new WebAssembly.Instance(module, imports);
      memory = Object.values(inst.exports).find((e) => e instanceof WebAssembly.Memory) as
        | WebAssembly.Memory
        | undefined;
      receive(inst, module);
      return inst.exports;
    },
  }));
  return {
    instance,
    memory: () => {
      if (!memory) throw new Error("the codec exports no memory");
      return memory;
    },
  };
}

/** Decodes a still WebP (lossy or lossless, with alpha) to RGBA with libwebp. */
export async function decodeWebpWasm(
  module: WebAssembly.Module,
  bytes: Uint8Array,
): Promise<WasmFrame> {
  const { instance, memory } = instantiate(webpFactory as never, module);
  const codec = await instance;
  const r = codec.decode(bytes);
  if (!r) throw new Error("libwebp could not decode the data");
  return frame(r, memory().buffer.byteLength);
}

/** Decodes an AVIF's primary image (or first frame) to 8-bit RGBA with libavif + dav1d. */
export async function decodeAvifWasm(
  module: WebAssembly.Module,
  bytes: Uint8Array,
): Promise<WasmFrame> {
  const { instance, memory } = instantiate(avifFactory as never, module);
  const codec = await instance;
  const r = codec.decode(bytes, 8);
  if (!r) throw new Error("libavif could not decode the data");
  return frame(r, memory().buffer.byteLength);
}

function frame(r: { width: number; height: number; data: Uint8ClampedArray }, wasm: number) {
  const data = new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length);
  if (data.length !== r.width * r.height * 4) {
    throw new Error(`the codec returned ${data.length} bytes for ${r.width}x${r.height} RGBA`);
  }
  return { width: r.width, height: r.height, data, wasmBytes: wasm };
}

// libheif's C enums (heif.h): heif_colorspace_RGB, heif_chroma_interleaved_RGBA,
// heif_channel_interleaved.
const RGB = 1;
const RGBA = 11;
const INTERLEAVED = 10;

/**
 * Decodes a HEIF's primary image (HEVC) to 8-bit RGBA with libheif, at `1/scale` (box filter).
 * A grid image (phones write 512×512 tiles) is decoded one tile at a time, so the codec holds
 * the file and one tile, never the whole image; a single coded image is decoded whole, then
 * reduced. `irot` / `imir` are not applied (the caller does). `scale` must divide the tile size.
 */
export async function decodeHeifWasm(
  module: WebAssembly.Module,
  bytes: Uint8Array,
  scale = 1,
): Promise<WasmFrame> {
  const { instance, memory } = instantiate(libheifFactory as never, module);
  const h = await instance;
  const u32 = (ptr: number) => new DataView(memory().buffer).getUint32(ptr, true);
  const err = h._malloc(64);
  const check = (what: string) => {
    const code = u32(err);
    if (code === 0) return;
    const msgPtr = u32(err + 8);
    const heap = new Uint8Array(memory().buffer);
    let end = msgPtr;
    while (msgPtr && end < heap.length && heap[end] !== 0 && end - msgPtr < 200) end++;
    const message = new TextDecoder().decode(heap.subarray(msgPtr, end));
    throw new Error(`libheif could not ${what}: ${message || `error ${code}`}`);
  };
  const ctx = h._heif_context_alloc();
  const input = h._malloc(bytes.length);
  new Uint8Array(memory().buffer).set(bytes, input);
  h._heif_context_read_from_memory_without_copy(err, ctx, input, bytes.length, 0);
  check("read the file");
  const out = h._malloc(16);
  h._heif_context_get_primary_image_handle(err, ctx, out);
  check("find the primary image");
  const handle = u32(out);
  const options = h._heif_decoding_options_alloc();
  new Uint8Array(memory().buffer)[options + 1] = 1; // ignore_transformations
  const tiling = h._malloc(128);
  h._heif_image_handle_get_image_tiling(err, handle, 0, tiling);
  check("read the tiling");
  const [cols, rows, tileW, tileH, width, height] = [4, 8, 12, 16, 20, 24].map((o) =>
    u32(tiling + o)
  );
  if (cols * rows > 1 && (tileW % scale !== 0 || tileH % scale !== 0)) {
    throw new RangeError(`scale 1/${scale} does not divide the ${tileW}x${tileH} tiles`);
  }
  const outW = Math.ceil(width / scale);
  const outH = Math.ceil(height / scale);
  const data = new Uint8Array(outW * outH * 4);
  for (let ty = 0; ty < rows; ty++) {
    for (let tx = 0; tx < cols; tx++) {
      if (cols * rows === 1) {
        h._heif_decode_image(err, handle, out, RGB, RGBA, options);
      } else {
        h._heif_image_handle_decode_image_tile(err, handle, out, RGB, RGBA, options, tx, ty);
      }
      check(`decode tile ${tx},${ty}`);
      const img = u32(out);
      const w = h._heif_image_get_width(img, INTERLEAVED);
      const hh = h._heif_image_get_height(img, INTERLEAVED);
      const plane = h._heif_image_get_plane_readonly2(img, INTERLEAVED, out + 4);
      if (!plane || w <= 0 || hh <= 0) throw new Error("libheif returned no RGBA plane");
      const stride = u32(out + 4);
      const src = new Uint8Array(memory().buffer, plane, stride * (hh - 1) + w * 4);
      reduceInto(src, stride, w, hh, data, outW, outH, tx * tileW, ty * tileH, scale);
      h._heif_image_release(img);
    }
  }
  return { width: outW, height: outH, data, wasmBytes: memory().buffer.byteLength };
}

/** Box-filters `src` (RGBA, `stride` bytes a row) at `1/scale` into `dst` at pixel (x0, y0). */
function reduceInto(
  src: Uint8Array,
  stride: number,
  w: number,
  h: number,
  dst: Uint8Array,
  dstW: number,
  dstH: number,
  x0: number,
  y0: number,
  scale: number,
): void {
  const ox0 = x0 / scale;
  const oy0 = y0 / scale;
  const ow = Math.min(Math.ceil(w / scale), dstW - ox0);
  const oh = Math.min(Math.ceil(h / scale), dstH - oy0);
  if (scale === 1) {
    for (let y = 0; y < oh; y++) {
      dst.set(src.subarray(y * stride, y * stride + ow * 4), ((oy0 + y) * dstW + ox0) * 4);
    }
    return;
  }
  for (let y = 0; y < oh; y++) {
    const sy1 = Math.min(h, (y + 1) * scale);
    for (let x = 0; x < ow; x++) {
      const sx1 = Math.min(w, (x + 1) * scale);
      let r = 0, g = 0, b = 0, a = 0, n = 0;
      for (let sy = y * scale; sy < sy1; sy++) {
        for (let sx = x * scale, i = sy * stride + sx * 4; sx < sx1; sx++, i += 4) {
          r += src[i];
          g += src[i + 1];
          b += src[i + 2];
          a += src[i + 3];
          n++;
        }
      }
      const o = ((oy0 + y) * dstW + ox0 + x) * 4;
      dst[o] = r / n + 0.5;
      dst[o + 1] = g / n + 0.5;
      dst[o + 2] = b / n + 0.5;
      dst[o + 3] = a / n + 0.5;
    }
  }
}
