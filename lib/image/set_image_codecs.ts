/**
 * Where the WebAssembly codecs come from. One compiled module per codec per isolate: either
 * handed in with {@linkcode setImageCodecs} (Cloudflare Workers, which forbid compiling wasm from
 * bytes at run time, import the `.wasm` files as modules) or, by default, read from imagescript's
 * npm package on the first decode and compiled once.
 *
 * @module
 */

/** The compiled codecs {@linkcode decodeImage} runs. */
export interface ImageCodecs {
  /** `imagescript/wasm/any/jpeg.wasm`, compiled. */
  jpeg: WebAssembly.Module;
  /** `imagescript/wasm/any/png.wasm`, compiled. */
  png: WebAssembly.Module;
}

let current: Promise<ImageCodecs> | undefined;

/**
 * Provides the compiled codec modules for this isolate, replacing any loaded before. Call it once
 * at start-up where the default loader cannot work (Cloudflare Workers, bundles without
 * `node_modules`).
 *
 * @param codecs The compiled `jpeg.wasm` and `png.wasm` of `imagescript@1.3.1`.
 * @throws {TypeError} When either is not a `WebAssembly.Module`.
 *
 * @example Cloudflare Workers entry (wrangler imports `.wasm` files as modules)
 * ```ts ignore
 * import jpeg from "imagescript/wasm/any/jpeg.wasm";
 * import png from "imagescript/wasm/any/png.wasm";
 * setImageCodecs({ jpeg, png });
 * ```
 */
export function setImageCodecs(codecs: ImageCodecs): void {
  if (
    !(codecs?.jpeg instanceof WebAssembly.Module) || !(codecs?.png instanceof WebAssembly.Module)
  ) {
    throw new TypeError("Cannot set image codecs: jpeg and png must be WebAssembly.Module objects");
  }
  current = Promise.resolve({ jpeg: codecs.jpeg, png: codecs.png });
}

/**
 * Returns this isolate's codecs, loading the defaults on first use: the `.wasm` files are found
 * through the import map (`imagescript/` in deno.json) or next to this project's `node_modules`,
 * read with `Deno.readFile` and compiled. A failed load is not cached, so a later call retries.
 * Internal to `lib/image`: not re-exported from `mod.ts`.
 *
 * @throws {Error} When the files cannot be found or compiled and no codecs were set.
 */
export function loadImageCodecs(): Promise<ImageCodecs> {
  current ??= loadDefaultCodecs().catch((err) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function loadDefaultCodecs(): Promise<ImageCodecs> {
  const [jpeg, png] = await Promise.all([compileCodec("jpeg"), compileCodec("png")]);
  return { jpeg, png };
}

async function compileCodec(name: "jpeg" | "png"): Promise<WebAssembly.Module> {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!deno) {
    throw new Error(
      `Cannot load the ${name} codec: this runtime cannot read files; call setImageCodecs() first`,
    );
  }
  const candidates: URL[] = [];
  try {
    const resolved = new URL(import.meta.resolve(`imagescript/wasm/any/${name}.wasm`));
    if (resolved.protocol === "file:") candidates.push(resolved);
  } catch {
    // No import map entry: fall back to the project's node_modules below.
  }
  candidates.push(
    new URL(`../../node_modules/imagescript/wasm/any/${name}.wasm`, import.meta.url),
  );
  const errors: unknown[] = [];
  for (const url of candidates) {
    try {
      return await WebAssembly.compile(await deno.readFile(url));
    } catch (err) {
      errors.push(err);
    }
  }
  throw new Error(
    `Cannot load the ${name} codec: imagescript@1.3.1 wasm not found or invalid at ` +
      `${candidates.map(String).join(", ")}; install it or call setImageCodecs()`,
    { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) },
  );
}
