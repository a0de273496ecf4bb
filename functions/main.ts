/**
 * The Deno entry (`deno task dev`, Deno Deploy): reads the environment once, fetches and verifies
 * the model files, opens the configured store and serves the app.
 *
 * @module
 */
import { type Config, parseConfig } from "../lib/config.ts";
import { fetchModels } from "../models/fetch_models.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { createApp } from "./app.ts";
import { consoleLogger } from "./_context.ts";
import { matchThresholds } from "../lib/usecases/mod.ts";
import { authStartupWarning } from "./_auth.ts";
import {
  closeDeps,
  composeOnDeno,
  encryptionStartupWarning,
  reportPlainRecords,
} from "../app/mod.ts";
import { PURGE_SCHEDULE, schedulePurgeOnDeno } from "./_scheduled_purge.ts";

/**
 * Exits with one line naming the port (exit code 2) when `HOST:PORT` is already taken, instead of
 * `Deno.serve`'s uncaught `AddrInUse`. `PORT=0` (any free port) is never taken.
 */
function exitIfPortInUse(config: Config): void {
  if (config.port === 0) return;
  try {
    Deno.listen({ hostname: config.host, port: config.port }).close();
  } catch (err) {
    if (!(err instanceof Deno.errors.AddrInUse)) return; // let Deno.serve report anything else
    console.error(
      `error: cannot listen on ${config.host}:${config.port}: port ${config.port} is already in ` +
        "use (stop the other server, or set PORT to another port)",
    );
    Deno.exit(2);
  }
}

/**
 * Why a start failed, as the one line printed on stderr: the message of a `FaceError` or any other
 * error (never a stack; secrets never appear in these messages), with its cause's message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startupFailureLine } from "./main.ts";
 * assert.equal(startupFailureLine(new Error("no key")), "error: Cannot start facegate: no key");
 * ```
 */
export function startupFailureLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : "";
  const line = /^cannot start/i.test(message) ? message : `Cannot start facegate: ${message}`;
  return `error: ${line}${cause}`.replace(/\s*\n\s*/g, " ");
}

/** Starts the server: configuration, models, store, then `Deno.serve`. */
async function start(): Promise<void> {
  const config = parseConfig(Deno.env.toObject());
  exitIfPortInUse(config);
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
  const plain = encryptionStartupWarning(config);
  if (plain) consoleLogger.error(plain);
  const deps = await composeOnDeno(config, Deno.args.includes("--create-master-key"));
  // The start-up line states what /healthz states (asked in-process, not logged as a request):
  // the store, the default recipe new collections get and its thresholds, the match strategy.
  const logger = deps.logger ?? consoleLogger;
  let asking = true;
  const app = createApp({
    ...deps,
    logger: {
      info: (f) => asking && f.msg === "request" ? undefined : logger.info(f),
      error: (f) => logger.error(f),
    },
  });
  const { status: _, ...health } = await (await app.request("/healthz")).json();
  asking = false;
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) =>
      consoleLogger.info({
        msg: "facegate listening",
        url: `http://${hostname}:${port}`,
        ...health,
        auth: config.auth,
        rate_limit: config.rateLimit,
      }),
  }, app.fetch);
  // Plain records left from before encryption are refused: say so (a background scan).
  reportPlainRecords(config, deps.store, consoleLogger);
  // Deno Deploy (Deno.cron): the hourly retention purge, as the Worker's cron trigger runs it.
  if (schedulePurgeOnDeno(deps)) {
    consoleLogger.info({ msg: "retention purge scheduled", schedule: PURGE_SCHEDULE });
  }
  const stop = async () => {
    await server.shutdown();
    await closeDeps(deps);
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
}

if (import.meta.main) {
  // Every start-up failure is one line on stderr and exit code 1, never an uncaught stack.
  await start().catch((err) => {
    console.error(startupFailureLine(err));
    Deno.exit(1);
  });
}
