/**
 * The Cloudflare Workers entry: the same app as `main.ts`, built once per isolate from the
 * Worker's `env` on its first request. `wrangler.toml` deploys the bundle that
 * `tools/build_worker.ts` makes of this file (`deno task build:worker`).
 *
 * Workers refuse to compile WebAssembly from bytes at run time, so every `.wasm` arrives as a
 * module that wrangler compiled at upload (`CompiledWasm` rule) and the models as `ArrayBuffer`s
 * (`Data` rule). These files do not exist beside this one: the build copies them beside the
 * bundle, which keeps these specifiers verbatim.
 *
 * - imagescript's JPEG and PNG codecs and the WebP (libwebp), AVIF (libavif + dav1d) and HEIF
 *   (libheif + libde265) decoders go to {@linkcode setImageCodecs}; each is instantiated only
 *   when an image of its format arrives, through emscripten's `instantiateWasm` hook.
 * - onnxruntime-web (its single-file `wasm` build, one thread) instantiates its module through
 *   emscripten's `instantiateWasm` hook, which the build wires to `ort.env.wasm.instantiateWasm`
 *   (see `tools/worker/patch_ort_wasm_bundle.ts`); the hook serves the imported module.
 *
 * Store: Upstash Redis when `UPSTASH_REDIS_REST_URL` / `_TOKEN` are set (faces, API keys and
 * rate-limit counters, under `FACEGATE_REDIS_PREFIX`), otherwise memory per isolate
 * (`FACEGATE_STORE=memory`: enrolments and keys do not survive the isolate, so only useful with
 * `FACEGATE_AUTH=off` for a demo). Deno KV does not exist on Workers: `FACEGATE_STORE=kv` is
 * refused.
 *
 * @module
 */
import type { ExecutionContext, Hono } from "hono";
import * as ort from "onnxruntime-web";
import { type Config, parseConfig } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import type { ModelLoader } from "../lib/onnx/mod.ts";
import { setImageCodecs } from "../lib/image/mod.ts";
import { setGalleryIndexKernel } from "../lib/match/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { type AppDeps, createApp } from "./app.ts";
import { type AppEnv, consoleLogger } from "./_context.ts";
import { authStartupWarning } from "./_auth.ts";
import { startOnce, startupFailure } from "./_app_startup.ts";
import { composeDeps } from "../app/mod.ts";
import { scheduledPurge } from "./_scheduled_purge.ts";
import { encryptionStartupWarning } from "../app/mod.ts";
import { withGalleryShards } from "./_shards.ts";

export { GalleryShard } from "./gallery_shard.ts";
// @ts-ignore: a wrangler CompiledWasm module (WebAssembly.Module), copied beside the bundle
import ortWasm from "./ort-wasm-simd-threaded.wasm";
// @ts-ignore: a wrangler CompiledWasm module (WebAssembly.Module), copied beside the bundle
import jpegWasm from "./jpeg.wasm";
// @ts-ignore: a wrangler CompiledWasm module (WebAssembly.Module), copied beside the bundle
import pngWasm from "./png.wasm";
// @ts-ignore: a wrangler CompiledWasm module: @jsquash/webp's decoder, copied beside the bundle
import webpWasm from "./webp_dec.wasm";
// @ts-ignore: a wrangler CompiledWasm module: @jsquash/avif's decoder, copied beside the bundle
import avifWasm from "./avif_dec.wasm";
// @ts-ignore: a wrangler CompiledWasm module: libheif-js's libheif.wasm, copied beside the bundle
import heifWasm from "./libheif.wasm";
// @ts-ignore: a wrangler CompiledWasm module: the identify index's SIMD kernel, written by the build
import dotsWasm from "./dots.wasm";
// @ts-ignore: a wrangler Data module (ArrayBuffer), copied beside the bundle
import detectorOnnx from "./fr_detect.onnx";
// @ts-ignore: a wrangler Data module (ArrayBuffer), copied beside the bundle
import landmarksOnnx from "./fr_landmark.onnx";
// @ts-ignore: a wrangler Data module (ArrayBuffer), copied beside the bundle
import embedderOnnx from "./fr_feature.onnx";
// @ts-ignore: a wrangler Data module (ArrayBuffer), copied beside the bundle
import livenessOnnx from "./fr_liveness.onnx";
// @ts-ignore: a wrangler Data module (ArrayBuffer), copied beside the bundle
import eyeOnnx from "./fr_eye.onnx";
// @ts-ignore: a wrangler Data module (ArrayBuffer): the v3 recipe's 512 → 128 projection
import projection128 from "./fr_feature_proj128.f32";

/**
 * Faces per Redis gallery round trip in a Worker: smaller batches leave less of a cold identify's
 * read alive at once in the 128 MB isolate (10k faces, measured on workerd by `deno task bench
 * edge`: 136 MiB right after the request with batches of 2000, 125 with 1000, 101 with 500, 96
 * with 250), for 20 round trips instead of 5 at 10k faces.
 */
const WORKER_GALLERY_BATCH = 500;

/** The model files bundled with the Worker, by manifest file name. */
const MODEL_FILES: Record<string, ArrayBuffer> = {
  "fr_detect.onnx": detectorOnnx,
  "fr_landmark.onnx": landmarksOnnx,
  "fr_feature.onnx": embedderOnnx,
  "fr_liveness.onnx": livenessOnnx,
  "fr_eye.onnx": eyeOnnx,
  "fr_feature_proj128.f32": projection128,
};

/** Serves the bundled models to the {@linkcode SessionCache}. */
const bundledModels: ModelLoader = (entry) => {
  const bytes = MODEL_FILES[entry.file];
  if (!bytes) return Promise.reject(new Error(`model file ${entry.file} is not in the bundle`));
  return Promise.resolve(new Uint8Array(bytes));
};

/** Emscripten's `instantiateWasm(imports, receive)`: instantiates the precompiled module. */
function instantiateOrt(
  imports: WebAssembly.Imports,
  receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
): Record<string, never> {
  receive(new WebAssembly.Instance(ortWasm as WebAssembly.Module, imports), ortWasm);
  return {};
}

setImageCodecs({
  jpeg: jpegWasm as WebAssembly.Module,
  png: pngWasm as WebAssembly.Module,
  webp: webpWasm as WebAssembly.Module,
  avif: avifWasm as WebAssembly.Module,
  heif: heifWasm as WebAssembly.Module,
});
setGalleryIndexKernel(dotsWasm as WebAssembly.Module);
// One thread (Workers have no threads for wasm); a non-empty `wasmBinary` makes ort choose its
// embedded emscripten factory without a script URL (Workers have no `import.meta.url`); the
// bytes are never compiled, because the hook instantiates the imported module instead.
Object.assign(ort.env.wasm, {
  numThreads: 1,
  proxy: false,
  wasmBinary: new Uint8Array(8),
  instantiateWasm: instantiateOrt,
});

/** The string variables of a Worker's `env` (bindings of other types are left out). */
function stringVars(env: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/**
 * Builds the app's dependencies from the Worker's `env` with {@linkcode composeDeps}, as
 * `main.ts` does for Deno, from the bundled models; one ort thread, and the embedded store is
 * memory (per isolate). The rate limiter is Upstash's when the store is (else the app limits in
 * memory, per isolate).
 *
 * @throws {FaceError} `invalid_request` for bad settings, including `FACEGATE_STORE=kv`.
 */
export async function buildWorkerDeps(env: Record<string, unknown>): Promise<AppDeps> {
  const vars = stringVars(env);
  const parsed = parseConfig(vars);
  if (parsed.store.kind === "kv" && vars.FACEGATE_STORE?.trim()) {
    throw new FaceError(
      "invalid_request",
      "Cannot start: FACEGATE_STORE=kv is not available on Workers; set " +
        "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or FACEGATE_STORE=memory",
    );
  }
  // Unset FACEGATE_STORE without Upstash credentials means the embedded store: memory here.
  const config: Config = {
    ...parsed,
    store: parsed.store.kind === "kv" ? { kind: "memory" } : parsed.store,
    ortThreads: 1,
  };
  const warning = authStartupWarning(config);
  if (warning) consoleLogger.error(warning);
  const plain = encryptionStartupWarning(config);
  if (plain) consoleLogger.error(plain);
  const deps = await composeDeps(config, {
    modelLoader: bundledModels,
    galleryBatch: WORKER_GALLERY_BATCH,
  });
  // Collections named by FACEGATE_SHARDS identify through their GalleryShard Durable Objects;
  // refused requests' bodies (up to 1 MiB) are read to the end: see AppDeps.drainUnreadBodyBytes.
  return {
    ...deps,
    store: withGalleryShards(deps.store, env),
    drainUnreadBodyBytes: WORKER_DRAIN_BYTES,
  };
}

/** Largest unread body the Worker reads to its end after refusing a request (1 MiB). */
const WORKER_DRAIN_BYTES = 1024 * 1024;

/** The isolate's app and the deps it was built from. */
interface Started {
  app: Hono<AppEnv>;
  deps: AppDeps;
}

async function startApp(env: Record<string, unknown>): Promise<Started> {
  const deps = await buildWorkerDeps(env);
  consoleLogger.info({
    msg: "facegate worker started",
    store: deps.store.kind,
    auth: deps.config.auth,
    model: MODEL_MANIFEST.embedder.id,
  });
  return { app: createApp(deps), deps };
}

/** The app of this isolate, started on first use; a failed start is retried next time. */
const ready = startOnce(startApp);

/**
 * The Worker: the env is read once per isolate, on the first request. When the app cannot
 * start (bad configuration) the reason is logged, the request answers a generic 500 problem and
 * the next request tries again. The cron trigger purges expired faces ({@linkcode scheduledPurge}).
 */
export default {
  async fetch(
    request: Request,
    env: Record<string, unknown>,
    ctx: ExecutionContext,
  ): Promise<Response> {
    let app: Hono<AppEnv>;
    try {
      app = (await ready(env)).app;
    } catch (err) {
      return startupFailure("facegate worker cannot start", err);
    }
    return await app.fetch(request, env, ctx);
  },

  /** The cron trigger (`[triggers]` in wrangler.toml): {@linkcode scheduledPurge}. */
  scheduled(
    _controller: unknown,
    env: Record<string, unknown>,
    ctx: ExecutionContext,
  ): void {
    ctx.waitUntil(
      ready(env).then(({ deps }) => scheduledPurge(deps)).catch((err) => {
        consoleLogger.error({
          msg: "scheduled purge failed",
          error: err instanceof Error ? err.message : String(err),
        });
        throw err;
      }),
    );
  },
};
