/**
 * The Deno entry (`deno task dev`, Deno Deploy): reads the environment once, fetches and verifies
 * the model files, opens the configured store and serves the app.
 *
 * @module
 */
import { type Config, parseConfig } from "../lib/config.ts";
import { fileModelLoader, SessionCache } from "../lib/embed/mod.ts";
import {
  type FaceStore,
  KvFaceStore,
  MemoryFaceStore,
  UpstashFaceStore,
} from "../lib/store/mod.ts";
import { openKeyStore } from "../lib/auth/mod.ts";
import { type RateLimiter, UpstashRateLimiter } from "../lib/ratelimit/mod.ts";
import { fetchModels } from "../models/fetch_models.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { type AppDeps, createApp } from "./app.ts";
import { consoleLogger } from "./_context.ts";
import { matchThresholds } from "./_thresholds.ts";
import { authStartupWarning } from "./_auth.ts";

/**
 * Opens the store a configuration names; for Deno KV, creates the file's directory first.
 *
 * @throws {FaceError} `store_unavailable` when the store cannot be opened.
 */
export async function openStore(config: Config): Promise<FaceStore> {
  const store = config.store;
  if (store.kind === "memory") return new MemoryFaceStore();
  if (store.kind === "upstash") {
    return new UpstashFaceStore({ url: store.url, token: store.token, prefix: store.prefix });
  }
  const slash = store.path.lastIndexOf("/");
  if (store.path !== ":memory:" && slash > 0) {
    await Deno.mkdir(store.path.slice(0, slash), { recursive: true });
  }
  return await KvFaceStore.open(store.path);
}

/**
 * The rate limiter a configuration names: Upstash (`@upstash/ratelimit`, shared by every
 * isolate) on the Upstash store, else undefined (the app then limits in memory); undefined too
 * when `FACEGATE_RATE_LIMIT=0`.
 */
export function openRateLimiter(config: Config): RateLimiter | undefined {
  const store = config.store;
  if (config.rateLimit === 0 || store.kind !== "upstash") return undefined;
  return new UpstashRateLimiter({
    url: store.url,
    token: store.token,
    prefix: store.prefix,
    limit: config.rateLimit,
  });
}

/**
 * Builds the app's dependencies from a configuration: model sessions (loaded lazily from
 * `models/`), the store, and with `FACEGATE_AUTH=keys` the key store beside it and the rate
 * limiter. Used by the server and by the CLIs' local mode.
 */
export async function buildDeps(config: Config): Promise<AppDeps> {
  return {
    pipeline: {
      sessions: new SessionCache(fileModelLoader(), { threads: config.ortThreads }),
      manifest: MODEL_MANIFEST,
    },
    store: await openStore(config),
    config,
    keys: config.auth === "keys" ? await openKeyStore(config.store) : undefined,
    limiter: openRateLimiter(config),
  };
}

if (import.meta.main) {
  const config = parseConfig(Deno.env.toObject());
  const written = await fetchModels();
  if (written.length) consoleLogger.info({ msg: "models fetched", files: written });
  const thresholds = matchThresholds(MODEL_MANIFEST);
  if (thresholds.fallbacks.length) {
    consoleLogger.info({
      msg: "using fallback thresholds: the manifest has no calibrated value",
      for: thresholds.fallbacks,
    });
  }
  const warning = authStartupWarning(config);
  if (warning) consoleLogger.error(warning);
  const deps = await buildDeps(config);
  const app = createApp(deps);
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) =>
      consoleLogger.info({
        msg: "facegate listening",
        url: `http://${hostname}:${port}`,
        store: deps.store.kind,
        model: MODEL_MANIFEST.embedder.id,
        strategy: config.matchStrategy,
        verify_threshold: thresholds.verify,
        identify_threshold: thresholds.identify,
        auth: config.auth,
        rate_limit: config.rateLimit,
      }),
  }, app.fetch);
  const stop = async () => {
    await server.shutdown();
    await deps.store.close();
    await deps.keys?.close();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
}
