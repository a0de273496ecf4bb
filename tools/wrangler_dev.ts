/**
 * Runs a Worker under `wrangler dev --local` (workerd) on a free loopback port for benchmarks, and
 * reads the workerd process's memory and CPU from `/proc` (Linux). Like
 * `tests/integration/worker_e2e_test.ts`, it runs a copy of the config without `[build]` (build
 * first with `tools/build_worker.ts`) in its own process group, and every wait is bounded.
 *
 * @module
 */
import { freePort } from "./redis_harness.ts";

const ROOT = new URL("../", import.meta.url);
const WRANGLER = new URL("node_modules/wrangler/bin/wrangler.js", ROOT);
/** Longest wait for `wrangler dev` to start workerd. */
const START_TIMEOUT_MS = 180_000;

/** A running `wrangler dev`. */
export interface WranglerDev {
  /** Base URL of the Worker. */
  url: string;
  /** Milliseconds from spawning wrangler to "Ready". */
  readyMs: number;
  /** The workerd process running the Worker (not wrangler's proxy in front of it). */
  workerdPid: number;
  /** wrangler's inspector proxy (Chrome DevTools Protocol; `/json` lists the Worker). */
  inspectorPort: number;
  /** wrangler's output so far. */
  output(): string;
  /** Kills wrangler's process group (workerd included) and removes its state. */
  stop(): Promise<void>;
}

/** Options for {@linkcode startWranglerDev}. */
export interface StartWranglerDevOptions {
  /** A wrangler.toml. Default: the project's, minus `[build]`, with absolute paths. */
  config?: string;
  /** Worker variables (`--var`). Default: none. */
  vars?: Record<string, string>;
  /**
   * Where workerd keeps its local state (Durable Object storage); kept after `stop()` so a second
   * start resumes it. Default: a temporary directory removed on `stop()`.
   */
  persistTo?: string;
  /** wrangler's `--log-level` (what `output()` holds). Default: `"warn"`. */
  logLevel?: "debug" | "info" | "log" | "warn" | "error";
  /** The loopback port to serve on. Default: a free one. */
  port?: number;
  /** Also copy wrangler's output (the Worker's logs) to this process's stderr. Default: false. */
  echo?: boolean;
}

/** Writes the project's wrangler.toml, minus `[build]` and with absolute paths, into `dir`. */
async function projectConfig(dir: string): Promise<string> {
  let toml = await Deno.readTextFile(new URL("wrangler.toml", ROOT));
  toml = toml.replace(/^\[build\]\n(?:(?!\[).*\n)*/m, "");
  for (const key of ["main", "base_dir"]) {
    const re = new RegExp(`^${key} = "([^"]+)"$`, "m");
    const rel = toml.match(re)?.[1];
    if (!rel) throw new Error(`wrangler.toml has no ${key}`);
    toml = toml.replace(re, `${key} = ${JSON.stringify(new URL(rel, ROOT).pathname)}`);
  }
  if (/^\[build\]/m.test(toml)) throw new Error("wrangler.toml: [build] not removed");
  const path = `${dir}/wrangler.toml`;
  await Deno.writeTextFile(path, toml);
  return path;
}

/**
 * The workerd process that runs the Worker in process group `pgid`, or undefined. wrangler starts
 * two: a proxy bound to the public port and the Worker's own runtime (the one with an inspector
 * address, listening on a random port behind the proxy).
 */
function findWorkerd(pgid: number): number | undefined {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (!comm.startsWith("workerd") || Number(fields[2]) !== pgid) continue;
      const args = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).split("\0");
      if (args.some((a) => a.startsWith("--inspector-addr"))) return Number(entry.name);
    } catch {
      // the process is gone
    }
  }
  return undefined;
}

/**
 * Starts `wrangler dev --local` and waits for "Ready" and its workerd process.
 *
 * @throws {Error} When wrangler is not installed or does not become ready in 180 s.
 */
export async function startWranglerDev(
  options: StartWranglerDevOptions = {},
): Promise<WranglerDev> {
  await Deno.stat(WRANGLER).catch((cause) => {
    throw new Error("wrangler is not installed: run `npm install` first", { cause });
  });
  const port = options.port ?? freePort();
  const inspectorPort = freePort();
  const persist = await Deno.makeTempDir({ prefix: "facegate_wrangler_" });
  const config = options.config ?? await projectConfig(persist);
  const started = performance.now();
  const child = new Deno.Command("node", {
    args: [
      WRANGLER.pathname,
      "dev",
      "--config",
      config,
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      options.persistTo ?? `${persist}/state`,
      "--show-interactive-dev-session=false",
      "--log-level",
      options.logLevel ?? "warn",
      ...Object.entries(options.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    cwd: ROOT,
    env: {
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_SEND_METRICS: "false",
      NO_COLOR: "1",
      CI: "true",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  let output = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      output = (output + text).slice(-200_000);
      if (options.echo) Deno.stderr.writeSync(new TextEncoder().encode(text));
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited = false;
  const status = child.status.finally(() => exited = true);
  const signalGroup = (signal: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  const stop = async () => {
    signalGroup("SIGTERM");
    const timer = setTimeout(() => signalGroup("SIGKILL"), 5000);
    await status;
    clearTimeout(timer);
    signalGroup("SIGKILL");
    await drained;
    await Deno.remove(persist, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    // wrangler prints "Ready on http://127.0.0.1:<port>" (at info level): probe the port instead.
    const up = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(2000),
    }).then(async (r) => {
      await r.body?.cancel();
      return true;
    }, () => false);
    const workerdPid = findWorkerd(child.pid);
    if (up && workerdPid !== undefined) {
      return {
        url: `http://127.0.0.1:${port}`,
        readyMs: performance.now() - started,
        workerdPid,
        inspectorPort,
        output: () => output,
        stop,
      };
    }
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not start (exited: ${exited}):\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Resident and peak resident memory of a process, in bytes (`/proc/<pid>/status`). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** Resets a process's peak resident memory (VmHWM) to its current RSS (`clear_refs` 5). */
export function resetPeakMemory(pid: number): void {
  Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
}

/**
 * CPU time of a process in milliseconds (`/proc/<pid>/task/*\/schedstat`): its main thread (where
 * workerd runs the Worker's JavaScript and WebAssembly, what Workers bill) and all its threads
 * (adding V8's background compilation and garbage collection).
 */
export function processCpuMs(pid: number): { main: number; all: number } {
  let all = 0;
  let main = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(
        Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0],
      );
      all += ns;
      if (task.name === String(pid)) main = ns;
    } catch {
      // the thread ended
    }
  }
  return { main: main / 1e6, all: all / 1e6 };
}

/**
 * What {@linkcode inspectIsolate} reads from the Worker's isolate: the heap and ArrayBuffers
 * before a garbage collection (so a request's garbage still counts), wasm after one.
 */
export interface IsolateMemory {
  /** V8 JavaScript heap: used and reserved bytes. */
  heapUsed: number;
  heapTotal: number;
  /** ArrayBuffer backing stores (bodies, rasters, model bytes), bytes. */
  arrayBuffers: number;
  /** Linear memory of every live `WebAssembly.Memory` (onnxruntime, codecs), bytes. */
  wasm: number;
  /** V8 heap used plus ArrayBuffers after the garbage collection, bytes. */
  retained: number;
}

/** A Chrome DevTools Protocol session on the Worker's isolate (through wrangler's proxy). */
export interface IsolateInspector {
  /** Reads the isolate's memory (V8 heap, ArrayBuffers, wasm linear memories). */
  memory(): Promise<IsolateMemory>;
  close(): void;
}

/**
 * Connects to the Worker's isolate through wrangler's inspector proxy. `memory()` reads
 * `Runtime.getHeapUsage`, then the sizes of all `WebAssembly.Memory` objects found by
 * `Runtime.queryObjects` (which collects garbage first: codec memories of finished decodes are
 * gone, onnxruntime's stays).
 */
export async function inspectIsolate(w: WranglerDev): Promise<IsolateInspector> {
  const base = `http://127.0.0.1:${w.inspectorPort}`;
  const list = await (await fetch(`${base}/json`, { signal: AbortSignal.timeout(10_000) })).json();
  // wrangler's proxy only accepts the DevTools origin (Deno's WebSocket takes extra headers).
  const ws = new (WebSocket as unknown as new (url: string, init: unknown) => WebSocket)(
    list[0].webSocketDebuggerUrl,
    { headers: { origin: "https://devtools.devprod.cloudflare.dev" } },
  );
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  // deno-lint-ignore no-explicit-any
  const pending = new Map<number, (m: { result?: any; error?: unknown }) => void>();
  let contextId: number | undefined;
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.method === "Runtime.executionContextCreated") contextId ??= m.params.context.id;
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  };
  // deno-lint-ignore no-explicit-any
  const call = (method: string, params: Record<string, unknown> = {}): Promise<any> =>
    new Promise((resolve, reject) => {
      const n = ++id;
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 60_000);
      pending.set(n, (m) => {
        clearTimeout(timer);
        if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
        else resolve(m.result);
      });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await call("Runtime.enable");
  return {
    async memory() {
      const before = await call("Runtime.getHeapUsage");
      const proto = await call("Runtime.evaluate", {
        expression: "WebAssembly.Memory.prototype",
        ...(contextId === undefined ? {} : { contextId }),
      });
      const found = await call("Runtime.queryObjects", {
        prototypeObjectId: proto.result.objectId,
      });
      const sizes = await call("Runtime.callFunctionOn", {
        objectId: found.objects.objectId,
        functionDeclaration: "function () { return this.map((m) => m.buffer.byteLength); }",
        returnByValue: true,
      });
      await call("Runtime.releaseObjectGroup", { objectGroup: "" }).catch(() => {});
      const after = await call("Runtime.getHeapUsage");
      return {
        retained: after.usedSize + (after.backingStorageSize ?? 0),
        heapUsed: before.usedSize,
        heapTotal: before.totalSize,
        arrayBuffers: before.backingStorageSize ?? 0,
        wasm: (sizes.result.value as number[]).reduce((a, b) => a + b, 0),
      };
    },
    close() {
      ws.close();
    },
  };
}
