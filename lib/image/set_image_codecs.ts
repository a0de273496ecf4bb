/**
 * Where the WebAssembly codecs come from. One compiled module per codec per isolate: either
 * handed in with {@linkcode setImageCodecs} (Cloudflare Workers, which forbid compiling wasm from
 * bytes at run time, import the `.wasm` files as modules) or, by default, read from the npm
 * package on the first image of that format and compiled once. A module is only instantiated
 * when an image of its format arrives (a fresh instance per decode).
 *
 * @module
 */

/** The compiled codecs {@linkcode decodeImage} runs. */
export interface ImageCodecs {
  /** `imagescript/wasm/any/jpeg.wasm`, compiled. */
  jpeg: WebAssembly.Module;
  /** `imagescript/wasm/any/png.wasm`, compiled. */
  png: WebAssembly.Module;
  /** `@jsquash/webp/codec/dec/webp_dec.wasm` (libwebp). Default: loaded from the npm package. */
  webp?: WebAssembly.Module;
  /** `@jsquash/avif/codec/dec/avif_dec.wasm` (libavif + dav1d). Default: from the npm package. */
  avif?: WebAssembly.Module;
  /** `libheif-js/libheif-wasm/libheif.wasm` (libheif + libde265). Default: from the npm package. */
  heif?: WebAssembly.Module;
}

/** The name of one codec. */
export type CodecName = keyof ImageCodecs;

/** Each codec's file in its npm package (resolved through the import map, then node_modules). */
const FILES: Record<CodecName, string> = {
  jpeg: "imagescript/wasm/any/jpeg.wasm",
  png: "imagescript/wasm/any/png.wasm",
  webp: "@jsquash/webp/codec/dec/webp_dec.wasm",
  avif: "@jsquash/avif/codec/dec/avif_dec.wasm",
  heif: "libheif-js/libheif-wasm/libheif.wasm",
};

const loaded = new Map<CodecName, Promise<WebAssembly.Module>>();

/**
 * Provides the compiled codec modules for this isolate, replacing any loaded before. Call it once
 * at start-up where the default loader cannot work (Cloudflare Workers, bundles without
 * `node_modules`).
 *
 * @param codecs The compiled `jpeg.wasm` and `png.wasm` of `imagescript@1.3.1`, and optionally
 *   the WebP, AVIF and HEIF decoders (those left out are loaded from the npm packages on first use).
 * @throws {TypeError} When a codec given is not a `WebAssembly.Module`.
 *
 * @example Cloudflare Workers entry (wrangler imports `.wasm` files as modules)
 * ```ts ignore
 * import jpeg from "imagescript/wasm/any/jpeg.wasm";
 * import png from "imagescript/wasm/any/png.wasm";
 * import webp from "@jsquash/webp/codec/dec/webp_dec.wasm";
 * setImageCodecs({ jpeg, png, webp });
 * ```
 */
export function setImageCodecs(codecs: ImageCodecs): void {
  if (
    !(codecs?.jpeg instanceof WebAssembly.Module) || !(codecs?.png instanceof WebAssembly.Module)
  ) {
    throw new TypeError("Cannot set image codecs: jpeg and png must be WebAssembly.Module objects");
  }
  for (const name of ["webp", "avif", "heif"] as const) {
    if (codecs[name] !== undefined && !(codecs[name] instanceof WebAssembly.Module)) {
      throw new TypeError(`Cannot set image codecs: ${name} must be a WebAssembly.Module`);
    }
  }
  loaded.clear();
  for (const [name, module] of Object.entries(codecs)) {
    if (module) loaded.set(name as CodecName, Promise.resolve(module));
  }
}

/**
 * Returns this isolate's module for `name`, compiling the npm package's file on first use: found
 * through the import map (deno.json) or next to this project's `node_modules`, read with
 * `Deno.readFile`. A failed load is not cached, so a later call retries. Internal to
 * `lib/image`: not re-exported from `mod.ts`.
 *
 * @throws {Error} When the file cannot be found or compiled and no module was set.
 */
export function loadImageCodec(name: CodecName): Promise<WebAssembly.Module> {
  let module = loaded.get(name);
  if (!module) {
    module = compileCodec(name).catch((err) => {
      loaded.delete(name);
      throw err;
    });
    loaded.set(name, module);
  }
  return module;
}

/** The JPEG and PNG codecs (what `decodeImage` needs for those two formats). */
export async function loadImageCodecs(): Promise<
  { jpeg: WebAssembly.Module; png: WebAssembly.Module }
> {
  const [jpeg, png] = await Promise.all([loadImageCodec("jpeg"), loadImageCodec("png")]);
  return { jpeg, png };
}

async function compileCodec(name: CodecName): Promise<WebAssembly.Module> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno) {
    throw new Error(
      `Cannot load the ${name} codec: this runtime cannot read files; call setImageCodecs() first`,
    );
  }
  const candidates: URL[] = [];
  try {
    const resolved = new URL(import.meta.resolve(FILES[name]));
    if (resolved.protocol === "file:") candidates.push(resolved);
  } catch {
    // No import map entry: fall back to the project's node_modules below.
  }
  candidates.push(new URL(`../../node_modules/${FILES[name]}`, import.meta.url));
  const errors: unknown[] = [];
  for (const url of candidates) {
    try {
      return await WebAssembly.compile(await deno.readFile(url));
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(
    `Cannot load the ${name} codec: ${FILES[name]} not found or invalid at ` +
      `${candidates.map(String).join(", ")}; install it or call setImageCodecs()`,
    { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
  );
}
