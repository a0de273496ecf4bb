/**
 * The server the HTTP benchmarks measure: `functions/main.ts` on a free loopback port with the
 * memory store, auth off and no rate limit, plus its process RSS read from `/proc` (Linux).
 *
 * @module
 */
import { freePort } from "../tools/redis_harness.ts";

/** A running bench server. */
export interface BenchServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts the server with `env` added to the bench defaults and waits until `/healthz` answers.
 *
 * @throws {Error} When it does not answer within 30 s (the server is stopped first).
 */
export async function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../functions/main.ts", import.meta.url).pathname],
    env: {
      FACEGATE_STORE: "memory",
      FACEGATE_AUTH: "off",
      PORT: String(port),
      HOST: "127.0.0.1",
      FACEGATE_RATE_LIMIT: "0",
      ...env,
    },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const server: BenchServer = {
    base: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${server.base}/healthz`);
      await r.body?.cancel();
      if (r.ok) return server;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error("the server did not start within 30 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resident set size of process `pid` in MiB (NaN when unreadable). */
export function rssMib(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}
