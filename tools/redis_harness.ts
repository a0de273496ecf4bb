/**
 * Starts a throwaway redis-server for tests and local development: a random free loopback port,
 * no persistence (`--save "" --appendonly no`), its own temp working directory.
 *
 * @module
 */

/** A running redis-server started by {@linkcode startRedis}. */
export interface RedisProcess {
  /** Port on 127.0.0.1. */
  port: number;
  /** The server's process id (tests freeze it with SIGSTOP). */
  pid: number;
  /** The server's working directory (where `SAVE` writes `dump.rdb`); removed by `stop()`. */
  dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp directory. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startRedis}. */
export interface StartRedisOptions {
  /** Port to use. Default: a random free one. */
  port?: number;
  /** Longest wait for the server to answer PING, in ms. Default: 10000. */
  readyTimeoutMs?: number;
}

/**
 * Finds `redis-server` on `PATH` (then `/usr/bin`, `/usr/sbin`, `/usr/local/bin`).
 *
 * @returns Its absolute path, or null when it is not installed.
 */
export async function findRedisServer(): Promise<string | null> {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":"),
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
  ];
  for (const dir of dirs.filter(Boolean)) {
    const path = `${dir}/redis-server`;
    try {
      const info = await Deno.stat(path);
      if (info.isFile) return path;
    } catch {
      // not here
    }
  }
  return null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function ping(port: number): Promise<boolean> {
  let conn: Deno.Conn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/**
 * Launches `redis-server --port <free> --save "" --appendonly no` and waits until it answers PING.
 *
 * @returns The running server, or null when `redis-server` is not installed (the caller must then
 *   say loudly that its Redis tests did not run).
 * @throws {Error} When the server exits early or does not answer within `readyTimeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { startRedis } from "./redis_harness.ts";
 * const redis = await startRedis();
 * if (redis) await redis.stop();
 * ```
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess | null> {
  const bin = await findRedisServer();
  if (bin === null) return null;
  const port = options.port ?? freePort();
  const dir = await Deno.makeTempDir({ prefix: "facegate_redis_" });
  const child = new Deno.Command(bin, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let errText = "";
  const drain = (async () => {
    for (let r = await stderr.read(); !r.done; r = await stderr.read()) errText += r.value;
  })();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await status;
    clearTimeout(timer);
    await drain.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  while (!(await ping(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}: ${errText.trim() || "timeout"}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, pid: child.pid, dir, stop };
}
