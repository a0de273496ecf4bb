/**
 * One speed-benchmark process (spawned by `bench/_speed.ts` so that every run starts cold and the
 * onnxruntime thread count, which is process-wide, can differ between runs).
 *
 * Usage: `deno run -A bench/_speed_worker.ts --threads N --iterations K img.jpg...`
 * Prints one JSON {@linkcode SpeedWorkerReport} on stdout.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { analyzeImage, type AnalyzeImageOptions, type StageTimings } from "../lib/pipeline/mod.ts";
import { threadCpuMs } from "./_kernels.ts";
import { searchGallery } from "../lib/match/mod.ts";
import { parseConfig } from "../lib/config.ts";
import { composeOnDeno } from "../app/mod.ts";
import { createApp } from "../functions/app.ts";
import { syntheticGallery } from "./_synthetic_gallery.ts";
import { defaultRecipe } from "../models/manifest.ts";

/** Per-stage milliseconds of one warm request. */
export type SpeedRun = StageTimings & {
  match: number;
  request: number;
  /** Pipeline total and decode with scaled decoding off (`--compare-full`, large images). */
  before_total?: number;
  before_decode?: number;
  /**
   * `--compare-recipes`: per recipe (see {@linkcode SPEED_RECIPES}), the pipeline's wall ms and the
   * main thread's CPU ms (`/proc/thread-self/schedstat`; with 1 ORT thread all model work runs
   * there), measured back to back in the same process.
   */
  recipes?: Record<string, { total: number; cpu: number; embed: number; landmarks: number }>;
};

/** The pipeline variants `--compare-recipes` times: before → after, one change at a time. */
export const SPEED_RECIPES: Record<string, AnalyzeImageOptions> = {
  "v1: flip, 2 landmark passes (before)": { flip: true, refineLandmarks: true },
  "v2: no flip (after: new collections)": { flip: false, refineLandmarks: true },
  "no flip, 1 landmark pass (not adopted)": { flip: false, refineLandmarks: false },
};

/** What one worker process measured. */
export interface SpeedWorkerReport {
  threads: number;
  /** Process start (as the OS saw it) to the first embedding, ms. */
  cold_ms: number;
  /** The first `analyzeImage` call of the process (model loading included), ms. */
  first_request_ms: number;
  images: { path: string; width: number; height: number; found: number; runs: SpeedRun[] }[];
}

/** Milliseconds since this process started, from /proc (Linux), else from `performance`. */
function sinceProcessStart(): number {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    return (uptime - startTicks / 100) * 1000;
  } catch {
    return performance.now();
  }
}

const silent = { info() {}, error() {} };

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      threads: { type: "string", default: "1" },
      iterations: { type: "string", default: "5" },
      // Also time the pipeline with scaled decoding off (workingSize 0): the "before" numbers.
      "compare-full": { type: "boolean", default: false },
      // Also time each of SPEED_RECIPES (wall and thread CPU ms).
      "compare-recipes": { type: "boolean", default: false },
    },
  });
  const threads = Number(values.threads);
  const iterations = Number(values.iterations);
  const files = await Promise.all(positionals.map((p) => Deno.readFile(p)));
  const config = parseConfig({
    FACEGATE_STORE: "memory",
    FACEGATE_AUTH: "off",
    FACEGATE_ORT_THREADS: String(threads),
    FACEGATE_RATE_LIMIT: "0",
  });
  const deps = await composeOnDeno(config);
  const t0 = performance.now();
  const first = await analyzeImage(deps.pipeline, files[0], { select: "largest" });
  const firstMs = performance.now() - t0;
  const coldMs = sinceProcessStart();
  if (first.faces.length === 0) throw new Error(`no face in ${positionals[0]}`);

  const app = createApp({ ...deps, logger: silent });
  const enroll = await app.request("/v1/collections/bench/subjects/probe/faces?face=largest", {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: files[0],
  });
  if (enroll.status !== 201 && enroll.status !== 200) {
    throw new Error(`enrol failed: ${enroll.status} ${await enroll.text()}`);
  }
  const gallery = syntheticGallery({ faces: 1000, dim: first.faces[0].embedding!.length, seed: 1 });

  const report: SpeedWorkerReport = {
    threads,
    cold_ms: coldMs,
    first_request_ms: firstMs,
    images: [],
  };
  for (const [i, bytes] of files.entries()) {
    const runs: SpeedRun[] = [];
    let found = 0, width = 0, height = 0;
    for (let k = 0; k < iterations; k++) {
      // The stages of the default recipe (new collections), the one the verify request runs.
      const a = await analyzeImage(deps.pipeline, bytes, {
        select: "largest",
        requireFace: true,
        flip: defaultRecipe().flip,
      });
      found = a.faces.length;
      width = a.width;
      height = a.height;
      let s = performance.now();
      searchGallery(gallery, a.faces[0].embedding!, { k: 5 });
      const match = performance.now() - s;
      s = performance.now();
      const res = await app.request("/v1/collections/bench/subjects/probe/verify", {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: bytes,
      });
      const request = performance.now() - s;
      if (res.status !== 200) throw new Error(`verify failed: ${res.status} ${await res.text()}`);
      await res.body?.cancel();
      const run: SpeedRun = { ...a.timings, match, request };
      if (values["compare-full"] && Math.max(a.width, a.height) >= 1920) {
        const b = await analyzeImage(deps.pipeline, bytes, {
          select: "largest",
          requireFace: true,
          workingSize: 0,
        });
        run.before_total = b.timings.total;
        run.before_decode = b.timings.decode;
      }
      if (values["compare-recipes"]) {
        run.recipes = {};
        for (const [name, opts] of Object.entries(SPEED_RECIPES)) {
          const c0 = threadCpuMs();
          const r = await analyzeImage(deps.pipeline, bytes, {
            select: "largest",
            requireFace: true,
            ...opts,
          });
          run.recipes[name] = {
            total: r.timings.total,
            cpu: threadCpuMs() - c0,
            embed: r.timings.embed,
            landmarks: r.timings.landmarks,
          };
        }
      }
      runs.push(run);
    }
    report.images.push({ path: positionals[i], width, height, found, runs });
  }
  await deps.store.close();
  console.log(JSON.stringify(report));
}
