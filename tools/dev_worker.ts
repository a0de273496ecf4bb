/**
 * `deno task dev:worker`: the Cloudflare Worker (`functions/worker.ts`) on workerd, as `deno task
 * dev` runs the Deno server: one command, auth off, CORS open, a real store. It builds the bundle
 * (`tools/build_worker.ts`), starts a throwaway `redis-server` (no persistence, random loopback
 * port; `tools/redis_harness.ts`), the Upstash REST bridge in front of it
 * (`tools/upstash_bridge.ts`, random port and token) and `wrangler dev --local` (wrangler 4, Node
 * ≥ 20; `tools/wrangler_dev.ts`) with `UPSTASH_REDIS_REST_URL` / `_TOKEN`, `FACEGATE_AUTH=off`
 * and a master key made for this run as Worker variables, on 127.0.0.1 and `PORT` (default 8787).
 * Prints one JSON line on stdout, `{"msg":"facegate listening","url":…,"runtime":"workerd",…}` with
 * what `/healthz` states, as `deno task dev` does; the Worker's logs follow on stderr. Ctrl-C (SIGINT) or SIGTERM stops workerd, the bridge and redis-server; the data
 * vanishes with them. `--no-build` serves the last build (`dist/worker/`).
 *
 * @module
 */
import { buildWorker } from "./build_worker.ts";
import { freePort, startRedis } from "./redis_harness.ts";
import { startBridge } from "./upstash_bridge.ts";
import { startWranglerDev } from "./wrangler_dev.ts";

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  console.error(JSON.stringify({ level: "info", msg, ...fields }));

if (import.meta.main) {
  // PORT=0 picks a free port, as for `deno task dev`.
  const port = Number(Deno.env.get("PORT") ?? 8787) || freePort();
  const redis = await startRedis();
  if (redis === null) {
    console.error(
      "redis-server is not installed: install it (apt-get install -y redis-server) or use " +
        "`npx wrangler dev --local` with an in-memory store",
    );
    Deno.exit(1);
  }
  const bridge = await startBridge({ redisPort: redis.port, token: crypto.randomUUID() });
  log("redis-server and Upstash bridge started", { redis_port: redis.port, bridge: bridge.url });
  let worker: Awaited<ReturnType<typeof startWranglerDev>> | undefined;
  let stopping: Promise<never> | undefined;
  const stop = (code: number): Promise<never> =>
    stopping ??= (async () => {
      await worker?.stop();
      await bridge.close();
      await redis.stop();
      log("dev:worker stopped: workerd, bridge and redis-server are gone");
      Deno.exit(code);
    })();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void stop(0));
  }
  try {
    if (!Deno.args.includes("--no-build")) {
      const t0 = performance.now();
      const size = await buildWorker();
      log("worker built", { ms: Math.round(performance.now() - t0), raw_bytes: size.raw_bytes });
    }
    worker = await startWranglerDev({
      port,
      echo: true,
      logLevel: "info",
      vars: {
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        FACEGATE_AUTH: "off",
        FACEGATE_CORS_ORIGINS: "*",
        // Templates are sealed at rest as in production; the key lives as long as the data.
        FACEGATE_MASTER_KEY: crypto.getRandomValues(new Uint8Array(32)).toBase64(),
      },
    });
  } catch (err) {
    console.error(`error: Cannot start dev:worker: ${err instanceof Error ? err.message : err}`);
    await stop(1);
  }
  const { status: _, ...health } = await (await fetch(`${worker!.url}/healthz`)).json();
  console.log(JSON.stringify({
    level: "info",
    msg: "facegate listening",
    url: worker!.url,
    runtime: "workerd",
    ready_ms: Math.round(worker!.readyMs),
    ...health,
    auth: "off",
  }));
}
