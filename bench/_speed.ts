/**
 * The speed benchmark: facegate (onnxruntime-web threads 1 and 2) and `@vladmandic/face-api`
 * (tfjs WASM backend, under Node) on the same JPEGs, in interleaved rounds of fresh processes so
 * every round also gives a cold-start sample and background load hits every engine alike.
 *
 * @module
 */
import { benchImages } from "./_images.ts";
import { percentile, round } from "./_stats.ts";
import type { SpeedRun, SpeedWorkerReport } from "./_speed_worker.ts";
import type { KernelReport } from "./_kernels.ts";
import { type ScaledDecodeCheck, scaledDecodeCheck } from "./_scaled_decode_check.ts";

/** Options for {@linkcode runSpeed}. */
export interface SpeedOptions {
  /** Interleaved rounds (one fresh process per engine each). Default: 3. */
  rounds?: number;
  /** Warm requests per image per round. Default: 5. */
  iterations?: number;
  /** Image labels. Default: all four sizes. */
  images?: string[];
  /** Engines to run. Default: facegate with 1 and 2 threads and face-api with 1 thread. */
  engines?: Engine[];
}

/** An engine under test. */
export type Engine = "facegate-t1" | "facegate-t2" | "faceapi-t1";

const STAGES = ["decode", "detect", "landmarks", "align", "embed", "match"] as const;

/** Stage and whole-request statistics for one engine on one image. */
export interface ImageStats {
  image: string;
  width: number;
  height: number;
  found: number;
  samples: number;
  /** p50 of each stage, ms (face-api: align is part of embed, no match stage). */
  stages: Record<string, number>;
  /** The pipeline (decode → embed) p50/p95, ms. */
  total_p50: number;
  total_p95: number;
  /** A whole in-process verify request through the Hono app (facegate only), ms. */
  request_p50?: number;
  request_p95?: number;
  /** Before the scaled-decode optimisation (same process, interleaved): total and decode p50. */
  before_total_p50?: number;
  before_decode_p50?: number;
  /** Per pipeline recipe (facegate-t1, same process, interleaved): p50 wall / thread-CPU ms. */
  recipes?: Record<
    string,
    { total_p50: number; cpu_p50: number; embed_p50: number; landmarks_p50: number }
  >;
}

/** The speed section of the report. */
export interface SpeedReport {
  rounds: number;
  iterations: number;
  images: { label: string; source: string; bytes: number }[];
  engines: Record<string, {
    threads: number | null;
    /** Process start to first embedding, median over rounds, ms. */
    cold_ms: number;
    /** First request in the process (model load included), median over rounds, ms. */
    first_request_ms: number;
    per_image: ImageStats[];
  }>;
  /** facegate (1 thread) p50 total / face-api p50 total, per image (lower is better). */
  ratio_facegate_to_faceapi: Record<string, number>;
  /** Same, with decoding excluded on both sides. */
  ratio_facegate_to_faceapi_no_decode: Record<string, number>;
  /** facegate threads 2 / threads 1 p50 total, per image. */
  ratio_t2_to_t1: Record<string, number>;
  /** onnxruntime-web kernel and model throughput on this machine (1 thread, CPU time). */
  kernels?: KernelReport;
  /** Scaled decoding vs full decoding on the large raw photos of the data set. */
  scaled_decode_check?: ScaledDecodeCheck;
}

async function spawnJson(cmd: string, args: string[]): Promise<unknown> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text.slice(text.lastIndexOf("\n{") + 1));
}

function runEngine(engine: Engine, paths: string[], iterations: number): Promise<unknown> {
  const [name, t] = engine.split("-t");
  if (name === "faceapi") {
    return spawnJson("node", [
      new URL("./faceapi_runner.mjs", import.meta.url).pathname,
      "--threads",
      t,
      "--iterations",
      String(iterations),
      ...paths,
    ]);
  }
  return spawnJson(Deno.execPath(), [
    "run",
    "-A",
    new URL("./_speed_worker.ts", import.meta.url).pathname,
    "--threads",
    t,
    "--iterations",
    String(iterations),
    ...(engine === "facegate-t1" ? ["--compare-full", "--compare-recipes"] : []),
    ...paths,
  ]);
}

type Run = Record<string, number> & { recipes?: SpeedRun["recipes"] };

/** Runs the speed benchmark; see {@linkcode SpeedOptions}. */
export async function runSpeed(options: SpeedOptions = {}): Promise<SpeedReport> {
  const rounds = options.rounds ?? 3;
  const iterations = options.iterations ?? 5;
  const engines = options.engines ?? ["facegate-t1", "facegate-t2", "faceapi-t1"];
  const images = await benchImages(options.images);
  const paths = images.map((i) => i.path);
  const runs = new Map<string, Run[][]>(); // engine -> per image -> runs
  const meta = new Map<string, { threads: number | null; cold: number[]; first: number[] }>();
  for (let r = 0; r < rounds; r++) {
    for (const engine of engines) {
      console.error(`speed: round ${r + 1}/${rounds} ${engine}`);
      const rep = await runEngine(engine, paths, iterations) as SpeedWorkerReport & {
        images: { runs: Run[] }[];
      };
      const m = meta.get(engine) ?? { threads: rep.threads, cold: [], first: [] };
      m.cold.push(rep.cold_ms);
      m.first.push(rep.first_request_ms);
      meta.set(engine, m);
      const perImage = runs.get(engine) ?? images.map(() => []);
      rep.images.forEach((img, i) => perImage[i].push(...(img.runs as unknown as Run[])));
      runs.set(engine, perImage);
      if (r === 0) {
        for (const [i, img] of rep.images.entries()) {
          if ((img as { found: number }).found !== 1) {
            console.error(`speed: ${engine} found no face in ${images[i].label}`);
          }
        }
      }
    }
  }
  const report: SpeedReport = {
    rounds,
    iterations,
    images: images.map((i) => ({ label: i.label, source: i.source, bytes: i.bytes.length })),
    engines: {},
    ratio_facegate_to_faceapi: {},
    ratio_facegate_to_faceapi_no_decode: {},
    ratio_t2_to_t1: {},
  };
  for (const engine of engines) {
    const m = meta.get(engine)!;
    report.engines[engine] = {
      threads: m.threads,
      cold_ms: round(percentile(m.cold, 50)),
      first_request_ms: round(percentile(m.first, 50)),
      per_image: images.map((img, i) => {
        const rs = runs.get(engine)![i];
        const stages: Record<string, number> = {};
        for (const s of STAGES) {
          if (rs[0] && s in rs[0]) stages[s] = round(percentile(rs.map((x) => x[s]), 50), 2);
        }
        const totals = rs.map((x) => x.total);
        const st: ImageStats = {
          image: img.label,
          width: img.width,
          height: img.height,
          found: 1,
          samples: rs.length,
          stages,
          total_p50: round(percentile(totals, 50)),
          total_p95: round(percentile(totals, 95)),
        };
        const before = rs.filter((x) => x.before_total !== undefined);
        if (before.length) {
          st.before_total_p50 = round(percentile(before.map((x) => x.before_total), 50));
          st.before_decode_p50 = round(percentile(before.map((x) => x.before_decode), 50));
        }
        if (rs[0]?.recipes) {
          st.recipes = {};
          for (const name of Object.keys(rs[0].recipes)) {
            const xs = rs.map((x) => x.recipes![name]);
            st.recipes[name] = {
              total_p50: round(percentile(xs.map((x) => x.total), 50)),
              cpu_p50: round(percentile(xs.map((x) => x.cpu), 50)),
              embed_p50: round(percentile(xs.map((x) => x.embed), 50), 2),
              landmarks_p50: round(percentile(xs.map((x) => x.landmarks), 50), 2),
            };
          }
        }
        if (rs[0] && "request" in rs[0]) {
          st.request_p50 = round(percentile(rs.map((x) => x.request), 50));
          st.request_p95 = round(percentile(rs.map((x) => x.request), 95));
        }
        return st;
      }),
    };
  }
  const fg = report.engines["facegate-t1"], fa = report.engines["faceapi-t1"];
  const fg2 = report.engines["facegate-t2"];
  for (const [i, img] of images.entries()) {
    if (fg && fa) {
      const a = fg.per_image[i], b = fa.per_image[i];
      report.ratio_facegate_to_faceapi[img.label] = round(a.total_p50 / b.total_p50, 3);
      report.ratio_facegate_to_faceapi_no_decode[img.label] = round(
        (a.total_p50 - a.stages.decode) / (b.total_p50 - b.stages.decode),
        3,
      );
    }
    if (fg && fg2) {
      report.ratio_t2_to_t1[img.label] = round(
        fg2.per_image[i].total_p50 / fg.per_image[i].total_p50,
        3,
      );
    }
  }
  console.error("speed: kernel and model throughput");
  report.kernels = await spawnJson(Deno.execPath(), [
    "run",
    "-A",
    new URL("./_kernels.ts", import.meta.url).pathname,
  ]) as KernelReport;
  console.error("speed: scaled-decode accuracy check");
  report.scaled_decode_check = await scaledDecodeCheck();
  return report;
}
