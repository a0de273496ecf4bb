/**
 * The Deno entry for `deno serve` (`deno task serve`): `deno serve --parallel` runs one copy of
 * this module per core, each in its own isolate with its own model sessions and gallery cache,
 * behind one port. One isolate runs one request's model work at a time (JavaScript and the wasm
 * kernels share its thread), so this is how one machine's every core serves requests.
 *
 * Each isolate reads the environment and opens the store on its first request, as the Workers
 * entry does; a failed start is logged, answered with a generic 500 problem and retried on the
 * next request. The store must be one every isolate sees: Deno KV (the default file, opened once
 * per isolate; writes retry SQLite's lock contention) or Upstash Redis, never `memory`. The master
 * key must exist already (`FACEGATE_MASTER_KEY` or the key file that `deno task dev` creates): no
 * isolate creates one. The listening address comes from `deno serve`'s `--host` / `--port`, not
 * from `HOST` / `PORT`. Expired faces are purged by the match requests' background purge and by
 * `deno task retention purge`, not by `Deno.cron` (which `functions/main.ts` registers).
 *
 * @module
 */
import type { Hono } from "hono";
import { parseConfig } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import { createApp } from "./app.ts";
import { type AppEnv, consoleLogger } from "./_context.ts";
import { composeOnDeno } from "../app/mod.ts";
import { startOnce, startupFailure } from "./_app_startup.ts";

/** This isolate's app, started on first use; a failed start is retried next time. */
const ready = startOnce(async (): Promise<Hono<AppEnv>> => {
  const config = parseConfig(Deno.env.toObject());
  if (config.store.kind === "memory") {
    throw new FaceError(
      "invalid_request",
      "Cannot serve in parallel with FACEGATE_STORE=memory: each isolate would have its own " +
        "faces (use Deno KV or Upstash Redis)",
    );
  }
  const app = createApp(await composeOnDeno(config));
  consoleLogger.info({ msg: "facegate isolate started", store: config.store.kind });
  return app;
});

/** The handler `deno serve` calls. */
export default {
  async fetch(request: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
    let app: Hono<AppEnv>;
    try {
      app = await ready();
    } catch (err) {
      return startupFailure("facegate cannot start", err);
    }
    return await app.fetch(request, info);
  },
} satisfies Deno.ServeDefaultExport;
