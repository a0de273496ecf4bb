/**
 * Builds the Cloudflare Workers bundle (`deno task build:worker`) into `dist/worker/`:
 *
 * - `worker.js`: `functions/worker.ts` and everything it imports, bundled by `deno bundle` with
 *   the project's import map except two Workers-specific entries: `onnxruntime-web` is its
 *   single-file wasm build, patched (see `tools/worker/patch_ort_wasm_bundle.ts`), and
 *   `@upstash/redis` its Cloudflare entry. The `.wasm` and `.onnx` imports stay external.
 * - beside it, the files those imports name: `ort-wasm-simd-threaded.wasm`, imagescript's
 *   `jpeg.wasm` and `png.wasm`, the image decoders `webp_dec.wasm` (@jsquash/webp),
 *   `avif_dec.wasm` (@jsquash/avif) and `libheif.wasm` (libheif-js) (wrangler rule
 *   `CompiledWasm`) and the models (`Data`).
 *
 * Prints `{raw_bytes, gzip_bytes, limit_bytes, within_limit, files}` as JSON on stdout: the sum
 * of all modules, raw and gzipped one by one, against Cloudflare's Worker size limit: a single
 * 64 MiB uncompressed on every plan since 2026 (the compressed 3 MiB free / 10 MiB paid limits
 * were removed: workers-sdk #14001, changelog 2026-09-04). Exits 1 when over the limit. `wrangler deploy` / `wrangler dev` run this first
 * (`[build]` in wrangler.toml).
 *
 * @module
 */
import { fetchModels } from "../models/fetch_models.ts";
import { embedderRecipes, modelEntries } from "../models/manifest.ts";
import { ORT_VERSION, patchOrtWasmBundle } from "./worker/patch_ort_wasm_bundle.ts";
import { galleryIndexKernelBytes } from "../lib/match/mod.ts";

/** Cloudflare's Worker size limit: 64 MiB of modules, uncompressed, on every plan. */
export const LIMIT_BYTES = 64 * 1024 * 1024;

const ROOT = new URL("../", import.meta.url);
/** Longest a `deno bundle` step may take before it is killed. */
const STEP_TIMEOUT_MS = 300_000;
/** The bundle and its modules: what wrangler uploads. */
export const OUT_DIR: URL = new URL("dist/worker/", ROOT);

/** Size report of a build. */
export interface WorkerBundleSize {
  /** All modules, uncompressed. */
  raw_bytes: number;
  /** All modules, each gzipped. */
  gzip_bytes: number;
  /** {@linkcode LIMIT_BYTES}. */
  limit_bytes: number;
  /** `raw_bytes <= limit_bytes`. */
  within_limit: boolean;
  /** Per module: raw and gzip bytes. */
  files: Record<string, { raw: number; gzip: number }>;
}

async function gzipSize(bytes: Uint8Array): Promise<number> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

/** This Deno, else the project's npm-installed `deno`, else `deno` on PATH. */
function denoBin(): string {
  for (const path of [Deno.execPath(), new URL("node_modules/.bin/deno", ROOT).pathname]) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // gone or not installed
    }
  }
  return "deno";
}

async function run(args: string[]): Promise<void> {
  const out = await new Deno.Command(denoBin(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`Cannot build the worker: deno ${args[0]} failed:\n${text}`);
  }
}

/**
 * A file of an npm package pinned in deno.json, in the project's `node_modules` (npm owns it:
 * `nodeModulesDir: "manual"`): `node_modules/<name>/<path>`, checked against the pinned version.
 */
async function npmFile(imports: Record<string, string>, name: string, path: string) {
  const dir = new URL(`node_modules/${name}/`, ROOT);
  const want = pinnedVersion(imports, name);
  let version: string | undefined;
  try {
    version = JSON.parse(await Deno.readTextFile(new URL("package.json", dir))).version;
  } catch {
    throw new Error(`Cannot build the worker: ${name} is not installed (run \`npm install\`)`);
  }
  if (version !== want) {
    throw new Error(
      `Cannot build the worker: node_modules has ${name}@${version}, deno.json pins ${want} ` +
        "(run `npm install`)",
    );
  }
  const file = new URL(path, dir);
  await Deno.stat(file).catch(() => {
    throw new Error(`Cannot build the worker: ${file.pathname} is missing`);
  });
  return file;
}

/** The version of the `npm:name@version` entry (or `name/` prefix) of the project's import map. */
function pinnedVersion(imports: Record<string, string>, name: string): string {
  const m = (imports[name] ?? imports[`${name}/`])?.match(/^npm:\/?(?:@[^/@]+\/)?[^/@]+@([^/]+)/);
  if (!m) throw new Error(`Cannot build the worker: deno.json does not pin ${name} as npm:`);
  return m[1];
}

/**
 * Builds `dist/worker/` and measures it.
 *
 * @returns The size report.
 * @throws {Error} When a step fails (models, install, patch, bundle, a missing module).
 */
export async function buildWorker(): Promise<WorkerBundleSize> {
  await fetchModels();
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const imports: Record<string, string> = config.imports;
  if (pinnedVersion(imports, "onnxruntime-web") !== ORT_VERSION) {
    throw new Error(
      `Cannot build the worker: tools/worker/patch_ort_wasm_bundle.ts is written for ` +
        `onnxruntime-web@${ORT_VERSION}, deno.json pins ${imports["onnxruntime-web"]}`,
    );
  }
  const ortDist = await npmFile(imports, "onnxruntime-web", "dist/");
  const jpeg = await npmFile(imports, "imagescript", "wasm/any/jpeg.wasm");
  const decoders: [URL, string][] = [
    [await npmFile(imports, "@jsquash/webp", "codec/dec/webp_dec.wasm"), "webp_dec.wasm"],
    [await npmFile(imports, "@jsquash/avif", "codec/dec/avif_dec.wasm"), "avif_dec.wasm"],
    [await npmFile(imports, "libheif-js", "libheif-wasm/libheif.wasm"), "libheif.wasm"],
  ];

  // Build beside dist/worker/ and swap it in at the end, so a concurrent build (wrangler's
  // watcher) or a running `wrangler dev` never sees a half-written directory.
  const outDir = await tempDir();
  const workDir = await tempDir();
  try {
    const size = await buildInto(outDir, workDir, { ortDist, jpeg, decoders, imports });
    const old = await tempDir();
    await Deno.rename(OUT_DIR, new URL("worker", old)).catch(() => {});
    await Deno.rename(outDir, OUT_DIR);
    await Deno.remove(old, { recursive: true });
    return size;
  } finally {
    await Deno.remove(outDir, { recursive: true }).catch(() => {});
    await Deno.remove(workDir, { recursive: true }).catch(() => {});
  }
}

/** A new directory under `dist/`, as a URL ending in `/`. */
async function tempDir(): Promise<URL> {
  const dist = new URL("dist/", ROOT);
  await Deno.mkdir(dist, { recursive: true });
  return new URL(`${await Deno.makeTempDir({ dir: dist.pathname, prefix: ".worker_" })}/`, "file:");
}

/** Where the inputs of the bundle are. */
interface BuildInputs {
  /** onnxruntime-web's `dist/` folder. */
  ortDist: URL;
  /** imagescript's `wasm/any/jpeg.wasm` (png.wasm is beside it). */
  jpeg: URL;
  /** The WebP, AVIF and HEIF decoders' `.wasm` files and their names beside the bundle. */
  decoders: [URL, string][];
  /** The project's import map (deno.json `imports`). */
  imports: Record<string, string>;
}

/** Writes the bundle and its modules to `outDir` (intermediates to `workDir`); measures them. */
async function buildInto(
  outDir: URL,
  workDir: URL,
  { ortDist, jpeg, decoders, imports }: BuildInputs,
): Promise<WorkerBundleSize> {
  const ortSource = await Deno.readTextFile(new URL("ort.wasm.bundle.min.mjs", ortDist));
  await Deno.writeTextFile(new URL("ort.wasm.bundle.mjs", workDir), patchOrtWasmBundle(ortSource));
  const importMap = {
    imports: {
      ...imports,
      "onnxruntime-web": "./ort.wasm.bundle.mjs",
      "@upstash/redis": `npm:@upstash/redis@${pinnedVersion(imports, "@upstash/redis")}/cloudflare`,
    },
  };
  await Deno.writeTextFile(new URL("import_map.json", workDir), JSON.stringify(importMap));

  const copies: [URL, string][] = [
    [new URL("ort-wasm-simd-threaded.wasm", ortDist), "ort-wasm-simd-threaded.wasm"],
    [jpeg, "jpeg.wasm"],
    [new URL("png.wasm", jpeg), "png.wasm"],
    ...decoders,
    ...modelEntries().map((e): [URL, string] => [new URL(`models/${e.file}`, ROOT), e.file]),
    // Recipes' projections (v3's 512 → 128 map), imported as Data modules too.
    ...embedderRecipes().flatMap((r): [URL, string][] =>
      r.projection ? [[new URL(`models/${r.projection.file}`, ROOT), r.projection.file]] : []
    ),
  ];
  for (const [from, name] of copies) await Deno.copyFile(from, new URL(name, outDir));
  // The identify index's SIMD kernel, imported by worker.ts as a CompiledWasm module.
  await Deno.writeFile(new URL("dots.wasm", outDir), galleryIndexKernelBytes());

  await run([
    "bundle",
    "--quiet",
    "--import-map",
    new URL("import_map.json", workDir).pathname,
    "--platform",
    "browser",
    "--format",
    "esm",
    "--external",
    "*.wasm",
    "--external",
    "*.onnx",
    "--external",
    "*.f32",
    "--output",
    new URL("worker.js", outDir).pathname,
    "functions/worker.ts",
  ]);

  // Every static import the bundle kept must be a module beside it; nothing may be fetched.
  const bundle = await Deno.readTextFile(new URL("worker.js", outDir));
  for (const [, spec] of bundle.matchAll(/^import\s[^"';]*?from\s*"([^"]+)";?$/gm)) {
    if (!spec.startsWith("./")) throw new Error(`Cannot build the worker: it imports "${spec}"`);
    await Deno.stat(new URL(spec, outDir)).catch(() => {
      throw new Error(`Cannot build the worker: ${spec} is imported but not in dist/worker/`);
    });
  }

  const files: WorkerBundleSize["files"] = {};
  let raw = 0, gzip = 0;
  for await (const entry of Deno.readDir(outDir)) {
    const bytes = await Deno.readFile(new URL(entry.name, outDir));
    const z = await gzipSize(bytes);
    files[entry.name] = { raw: bytes.length, gzip: z };
    raw += bytes.length;
    gzip += z;
  }
  return {
    raw_bytes: raw,
    gzip_bytes: gzip,
    limit_bytes: LIMIT_BYTES,
    within_limit: raw <= LIMIT_BYTES,
    files: Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
}

if (import.meta.main) {
  const size = await buildWorker();
  console.log(JSON.stringify(size));
  if (!size.within_limit) {
    console.error(`build:worker: ${size.raw_bytes} bytes exceed ${size.limit_bytes}`);
    Deno.exit(1);
  }
}
