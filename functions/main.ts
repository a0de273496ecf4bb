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
import { fetchModels } from "../models/fetch_models.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { type AppDeps, createApp } from "./app.ts";
import { consoleLogger } from "./_context.ts";
import { matchThresholds } from "./_thresholds.ts";

/**
 * Opens the store a configuration names; for Deno KV, creates the file's directory first.
 *
 * @throws {FaceError} `store_unavailable` when the store cannot be opened.
 */
export async function openStore(config: Config): Promise<FaceStore> {
  const store = config.store;
  if (store.kind === "memory") return new MemoryFaceStore();
  if (store.kind === "upstash") return new UpstashFaceStore({ url: store.url, token: store.token });
  const slash = store.path.lastIndexOf("/");
  if (store.path !== ":memory:" && slash > 0) {
    await Deno.mkdir(store.path.slice(0, slash), { recursive: true });
  }
  return await KvFaceStore.open(store.path);
}

/**
 * Builds the app's dependencies from a configuration: model sessions (loaded lazily from
 * `models/`) and the store. Used by the server and by the CLIs' local mode.
 */
export async function buildDeps(config: Config): Promise<AppDeps> {
  return {
    pipeline: {
      sessions: new SessionCache(fileModelLoader(), { threads: config.ortThreads }),
      manifest: MODEL_MANIFEST,
    },
    store: await openStore(config),
    config,
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
      }),
  }, app.fetch);
  const stop = async () => {
    await server.shutdown();
    await deps.store.close();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
}
