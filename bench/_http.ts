/**
 * The HTTP benchmark: the dev server (`functions/main.ts`, memory store, auth off) in its own
 * process under a bounded-concurrency load of verify and identify requests, with the server's RSS
 * sampled from /proc during the run.
 *
 * @module
 */
import { rssTreeMib, startBenchServer } from "./_server.ts";
import { generateMasterKey } from "../lib/store/mod.ts";
import { dataDir } from "./_data.ts";
import { percentile, round, slope } from "./_stats.ts";

/** Options for {@linkcode runHttp}. */
export interface HttpOptions {
  /** Seconds of load per endpoint. Default: 30. */
  seconds?: number;
  /** Requests in flight. Default: 2 (one per core). */
  concurrency?: number;
  /** Subjects enrolled before the run. Default: 50. */
  subjects?: number;
  /** The store: `"memory"`, or `"kv"` (a fresh file, sealed). Default: `"memory"`. */
  store?: "memory" | "kv";
  /** `deno serve --parallel` (one isolate per core; needs `store: "kv"`). Default: false. */
  parallel?: boolean;
  /**
   * A new connection per request, as many clients make (the kernel spreads connections, not
   * requests, over `deno serve --parallel`'s isolates). Default: false (keep-alive).
   */
  freshConnections?: boolean;
}

/** Results for one endpoint. */
export interface EndpointLoad {
  endpoint: string;
  requests: number;
  errors: number;
  /** Statuses other than 200 by code. */
  statuses: Record<string, number>;
  throughput_rps: number;
  p50_ms: number;
  p99_ms: number;
}

/** The http section of the report. */
export interface HttpReport {
  /** Which server: `"main"` (one process) or `"parallel"` (`deno serve --parallel`). */
  server?: "main" | "parallel";
  /** The store it ran on. */
  store?: "memory" | "kv";
  /** Whether every request opened its own connection. */
  fresh_connections?: boolean;
  seconds: number;
  concurrency: number;
  subjects: number;
  ort_threads: number;
  endpoints: EndpointLoad[];
  rss: {
    /** `[seconds since load start, MiB]` samples. */
    samples: [number, number][];
    start_mib: number;
    max_mib: number;
    end_mib: number;
    /** Least-squares slope over the last half of the samples, MiB per minute. */
    late_slope_mib_per_min: number;
    verdict: string;
  };
}

/** Pairs of (enrol image, probe image) of LFW subjects with at least two photos. */
async function lfwSubjects(
  count: number,
): Promise<{ name: string; enrol: Uint8Array<ArrayBuffer>; probe: Uint8Array<ArrayBuffer> }[]> {
  const root = `${dataDir()}/faces`;
  const rows = (await Deno.readTextFile(`${root}/manifest.csv`)).trim().split("\n").slice(1)
    .map((l) => l.split(",")).filter((r) => r[2] === "lfw-deepfunneled");
  const byId = new Map<string, string[]>();
  for (const [path, id] of rows) byId.set(id, [...(byId.get(id) ?? []), path]);
  const out = [];
  for (const [id, paths] of byId) {
    if (paths.length < 2) continue;
    out.push({
      name: id.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64),
      enrol: await Deno.readFile(`${root}/${paths[0]}`),
      probe: await Deno.readFile(`${root}/${paths[1]}`),
    });
    if (out.length === count) break;
  }
  return out;
}

/** Runs the HTTP benchmark against a freshly started server. */
export async function runHttp(options: HttpOptions = {}): Promise<HttpReport> {
  const seconds = options.seconds ?? 30;
  const concurrency = options.concurrency ?? 2;
  const store = options.store ?? "memory";
  const dir = store === "kv" ? await Deno.makeTempDir({ prefix: "facegate_http_" }) : null;
  const storeEnv: Record<string, string> = dir === null ? {} : {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: `${dir}/facegate.kv`,
    FACEGATE_MASTER_KEY: generateMasterKey(),
  };
  const server = await startBenchServer(
    { FACEGATE_ORT_THREADS: "1", ...storeEnv },
    { parallel: options.parallel },
  );
  const { base } = server;
  const child = { pid: server.pid };
  try {
    const people = await lfwSubjects(options.subjects ?? 50);
    for (const p of people) {
      const r = await fetch(`${base}/v1/collections/bench/subjects/${p.name}/faces?face=largest`, {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: p.enrol,
      });
      await r.body?.cancel();
      if (!r.ok) throw new Error(`enrol ${p.name} failed with ${r.status}`);
    }
    const samples: [number, number][] = [];
    const t0 = performance.now();
    const sampler = setInterval(() => {
      try {
        samples.push([round((performance.now() - t0) / 1000, 2), round(rssTreeMib(child.pid), 1)]);
      } catch { /* process gone */ }
    }, 250);
    const endpoints: EndpointLoad[] = [];
    for (const endpoint of ["verify", "identify"] as const) {
      const lat: number[] = [];
      const statuses: Record<string, number> = {};
      let errors = 0, k = 0;
      const start = performance.now();
      const stop = start + seconds * 1000;
      const worker = async () => {
        while (performance.now() < stop) {
          const p = people[k++ % people.length];
          const url = endpoint === "verify"
            ? `${base}/v1/collections/bench/subjects/${p.name}/verify`
            : `${base}/v1/collections/bench/identify`;
          const t = performance.now();
          const client = options.freshConnections ? Deno.createHttpClient({}) : undefined;
          try {
            const r = await fetch(url, {
              method: "POST",
              headers: { "content-type": "image/jpeg" },
              body: p.probe,
              client,
            });
            await r.arrayBuffer();
            lat.push(performance.now() - t);
            if (r.status !== 200) {
              errors++;
              statuses[r.status] = (statuses[r.status] ?? 0) + 1;
            }
          } catch {
            errors++;
            statuses.network = (statuses.network ?? 0) + 1;
          } finally {
            client?.close();
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const elapsed = (performance.now() - start) / 1000;
      endpoints.push({
        endpoint,
        requests: lat.length,
        errors,
        statuses,
        throughput_rps: round(lat.length / elapsed, 1),
        p50_ms: round(percentile(lat, 50)),
        p99_ms: round(percentile(lat, 99)),
      });
    }
    clearInterval(sampler);
    const rss = samples.map((s) => s[1]);
    const late = samples.slice(Math.floor(samples.length / 2));
    const lateSlope = slope(late.map((s) => s[0]), late.map((s) => s[1])) * 60;
    const max = Math.max(...rss), end = rss[rss.length - 1];
    return {
      server: options.parallel ? "parallel" : "main",
      store,
      fresh_connections: options.freshConnections ?? false,
      seconds,
      concurrency,
      subjects: people.length,
      ort_threads: 1,
      endpoints,
      rss: {
        samples,
        start_mib: rss[0],
        max_mib: max,
        end_mib: end,
        late_slope_mib_per_min: round(lateSlope, 2),
        verdict: lateSlope < 10
          ? `bounded: the second half rises only ${round(lateSlope, 1)} MiB/min (threshold 10)`
          : end < 0.97 * max
          ? `bounded: GC sawtooth, ends ${round(max - end, 1)} MiB under its peak`
          : `growing: +${round(lateSlope, 1)} MiB/min over the second half, ending at its peak`,
      },
    };
  } finally {
    await server.stop();
    if (dir !== null) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
