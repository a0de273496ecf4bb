/**
 * Cold start as a user meets it: `deno task dev` spawned → "facegate listening" → the first
 * `POST …/verify` answered (three ONNX sessions created, one image through the pipeline) → a
 * second, warm verify. One subject is enrolled beforehand by a throwaway server on the same
 * temporary Deno KV file, so the measured process does nothing but start and verify.
 *
 * Usage: `deno run -A tools/cold_start.ts [--runs N] [--image FILE]` (models materialised first:
 * `deno task models`). Prints JSON: per-run and median milliseconds, and the load average.
 *
 * @module
 */
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url);
const DENO = new URL("node_modules/.bin/deno", ROOT).pathname;
const DATA = Deno.env.get("FACEGATE_DATA") ?? new URL("../shared/data", ROOT).pathname;

/** One measured start, in milliseconds. */
interface Run {
  listen_ms: number;
  first_verify_ms: number;
  total_ms: number;
  warm_verify_ms: number;
}

interface Server {
  port: number;
  stop(): Promise<void>;
}

async function startDev(kvPath: string): Promise<Server> {
  const child = new Deno.Command(DENO, {
    args: ["task", "dev"],
    cwd: ROOT,
    env: { PORT: "0", FACEGATE_KV_PATH: kvPath },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let port = 0;
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`deno task dev exited before listening:\n${out}`);
    out += value;
    port = Number(out.match(/"facegate listening","url":"http:\/\/[^:]+:(\d+)"/)?.[1] ?? 0);
  }
  const drain = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain.catch(() => {});
    },
  };
}

async function post(port: number, path: string, image: Uint8Array): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: image as BodyInit,
  });
  await res.body?.cancel();
  return res.status;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => Math.round(x);

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string", default: "3" }, image: { type: "string" } },
  });
  const dir = `${DATA}/faces/Serena_Williams`;
  const enrollImage = await Deno.readFile(`${dir}/Serena_Williams_0001.jpg`);
  const probe = await Deno.readFile(values.image ?? `${dir}/Serena_Williams_0003.jpg`);
  const kv = await Deno.makeTempDir({ prefix: "facegate_cold_" });
  try {
    const setup = await startDev(`${kv}/facegate.kv`);
    const enrolled = await post(
      setup.port,
      "/v1/collections/cold/subjects/serena/faces",
      enrollImage,
    );
    await setup.stop();
    if (enrolled !== 201) throw new Error(`enroll answered ${enrolled}`);
    const runs: Run[] = [];
    for (let i = 0; i < Number(values.runs); i++) {
      const t0 = performance.now();
      const server = await startDev(`${kv}/facegate.kv`);
      const t1 = performance.now();
      const path = "/v1/collections/cold/subjects/serena/verify";
      const first = await post(server.port, path, probe);
      const t2 = performance.now();
      const warm = await post(server.port, path, probe);
      const t3 = performance.now();
      await server.stop();
      if (first !== 200 || warm !== 200) throw new Error(`verify answered ${first}, ${warm}`);
      runs.push({
        listen_ms: ms(t1 - t0),
        first_verify_ms: ms(t2 - t1),
        total_ms: ms(t2 - t0),
        warm_verify_ms: ms(t3 - t2),
      });
    }
    const pick = (k: keyof Run) => median(runs.map((r) => r[k]));
    console.log(JSON.stringify({
      median: {
        listen_ms: pick("listen_ms"),
        first_verify_ms: pick("first_verify_ms"),
        total_ms: pick("total_ms"),
        warm_verify_ms: pick("warm_verify_ms"),
      },
      runs,
      loadavg: Deno.loadavg(),
      cores: navigator.hardwareConcurrency,
    }));
  } finally {
    await Deno.remove(kv, { recursive: true });
  }
}
