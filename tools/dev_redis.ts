/**
 * `deno task dev:redis`: the dev server on Redis instead of Deno KV. Starts a throwaway
 * `redis-server` (no persistence, random loopback port; `tools/redis_harness.ts`), the Upstash
 * REST bridge in front of it (`tools/upstash_bridge.ts`, random port and token) and the API
 * server (`functions/main.ts`, a child process) with `UPSTASH_REDIS_REST_URL` / `_TOKEN` pointing
 * at the bridge, `FACEGATE_AUTH=off` like `deno task dev`, on 127.0.0.1 and the same `PORT`
 * (default 8000). Ctrl-C (SIGINT) or SIGTERM stops all three; so does the server exiting.
 *
 * Everything lives only as long as this command: the data vanishes with redis-server.
 *
 * @module
 */
import { startRedis } from "./redis_harness.ts";
import { startBridge } from "./upstash_bridge.ts";

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  console.error(JSON.stringify({ level: "info", msg, ...fields }));

if (import.meta.main) {
  const redis = await startRedis();
  if (redis === null) {
    console.error(
      "redis-server is not installed: install it (apt-get install -y redis-server) or use " +
        "`deno task dev` (Deno KV)",
    );
    Deno.exit(1);
  }
  const bridge = await startBridge({ redisPort: redis.port, token: crypto.randomUUID() });
  log("redis-server and Upstash bridge started", { redis_port: redis.port, bridge: bridge.url });
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "functions/main.ts", "--create-master-key"],
    cwd: new URL("../", import.meta.url),
    env: {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      FACEGATE_STORE: "upstash",
      FACEGATE_AUTH: "off",
      HOST: "127.0.0.1",
      // Like `deno task dev`: the master key of encryption at rest in ./data, made on first start.
      ...(Deno.env.get("FACEGATE_MASTER_KEY")
        ? {}
        : { FACEGATE_MASTER_KEY_FILE: "./data/master.key" }),
    },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();

  let stopping: Promise<never> | undefined;
  const stop = (code: number): Promise<never> =>
    stopping ??= (async () => {
      try {
        server.kill("SIGTERM");
      } catch {
        // already exited
      }
      const timer = setTimeout(() => {
        try {
          server.kill("SIGKILL");
        } catch {
          // already exited
        }
      }, 5000);
      await server.status;
      clearTimeout(timer);
      await bridge.close();
      await redis.stop();
      log("dev:redis stopped: server, bridge and redis-server are gone");
      Deno.exit(code);
    })();

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => void stop(0));
  }
  const status = await server.status;
  await stop(status.success ? 0 : status.code || 1);
}
