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
 * Starts the server with `env` added to the bench defaults and waits until `/healthz` answers:
 * `functions/main.ts` (one process), or with `parallel` `functions/main_parallel.ts` (`deno serve
 * --parallel`, one isolate per core; it needs a shared store, e.g. `FACEGATE_STORE: "kv"`).
 *
 * @throws {Error} When it does not answer within 30 s (the server is stopped first).
 */
export async function startBenchServer(
  env: Record<string, string> = {},
  options: { parallel?: boolean } = {},
): Promise<BenchServer> {
  const port = freePort();
  const entry = options.parallel ? "../functions/main_parallel.ts" : "../functions/main.ts";
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(entry, import.meta.url).pathname],
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

/** RSS of process `pid` and all its descendants, in MiB (`/proc/<pid>/task/<tid>/children`). */
export function rssTreeMib(pid: number): number {
  let total = rssMib(pid);
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    let kids = "";
    try {
      kids = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
    } catch { /* gone */ }
    for (const kid of kids ? kids.split(/\s+/) : []) {
      try {
        total += rssTreeMib(Number(kid));
      } catch { /* gone */ }
    }
  }
  return total;
}
