/**
 * Benchmarks CLI: `deno task bench <speed|http|scale|accuracy|abuse|recipes|atrest|edge|pad|report|all> [--quick]`
 * (`report` runs nothing and regenerates BENCHMARKS.md from the stored results).
 *
 * Prints one JSON object (the sections run) on stdout, merges it into `bench/results.json` and
 * regenerates `BENCHMARKS.md` and `bench/plots/*.svg` from the merged results, so running one
 * section keeps the others' latest numbers. Progress goes to stderr. `--quick` shrinks every
 * section (fewer rounds, smaller galleries) for a smoke run; `--rounds N --iterations K` set the
 * speed section's rounds and warm requests per image; `--int8` adds the int8 embedder to the
 * recipes section.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fetchModels } from "../models/fetch_models.ts";
import { runSpeed, type SpeedReport } from "./_speed.ts";
import { type HttpReport, runHttp } from "./_http.ts";
import { runScale, type ScaleReport } from "./_scale.ts";
import { type AccuracyReport, runAccuracy } from "./_accuracy.ts";
import { type AbuseReport, runAbuse } from "./_abuse.ts";
import { type EdgeReport, runEdge } from "./_edge.ts";
import { writeBenchmarksMd } from "./_report.ts";
import { benchRecipes, type RecipesReport, runRecipes } from "./_recipes.ts";
import { type AtRestReport, runAtRest } from "./_at_rest.ts";
import { type PadReport, runPad } from "./_pad.ts";
import { type OpenSetReport, runOpenSet } from "./_open_set.ts";
import { runShards, type ShardsReport } from "./_shards.ts";

/** Every section's latest result. */
export interface BenchResults {
  environment?: Record<string, unknown>;
  speed?: SpeedReport & { measured_at: string };
  http?: HttpReport & { measured_at: string };
  /** One process and `deno serve --parallel` under the same load (Deno KV). */
  http_cores?: { single: HttpReport; parallel: HttpReport; measured_at: string };
  scale?: ScaleReport & { measured_at: string };
  accuracy?: AccuracyReport & { measured_at: string };
  abuse?: AbuseReport & { measured_at: string };
  recipes?: RecipesReport & { measured_at: string };
  at_rest?: AtRestReport & { measured_at: string };
  edge?: EdgeReport & { measured_at: string };
  pad?: PadReport & { measured_at: string };
  open_set?: OpenSetReport & { measured_at: string };
  shards?: ShardsReport & { measured_at: string };
}

const MODES = [
  "speed",
  "http",
  "scale",
  "accuracy",
  "abuse",
  "recipes",
  "atrest",
  "edge",
  "pad",
  "openset",
  "shards",
  "report",
  "all",
] as const;

function environment(): Record<string, unknown> {
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? cpu;
  } catch { /* not Linux */ }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    cpu,
    cores: navigator.hardwareConcurrency,
    load_average: Deno.loadavg().map((v) => Math.round(v * 100) / 100),
    note: "shared machine: other jobs ran concurrently, so compare ratios measured in one run",
  };
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      rounds: { type: "string" },
      iterations: { type: "string" },
      int8: { type: "boolean", default: false },
      only: { type: "string" },
      "v3-faces": { type: "string" },
      faces: { type: "string" },
      shards: { type: "string" },
    },
  });
  const mode = positionals[0] as typeof MODES[number];
  if (!MODES.includes(mode)) {
    console.error(`usage: deno task bench <${MODES.join("|")}> [--quick]`);
    Deno.exit(2);
  }
  await fetchModels();
  const q = values.quick;
  const at = new Date().toISOString();
  // `report` only regenerates BENCHMARKS.md from bench/results.json.
  const out: BenchResults = mode === "report" ? {} : { environment: environment() };
  const run = (m: string) => mode === "all" || mode === m;
  if (run("speed")) {
    out.speed = {
      ...(await runSpeed({
        rounds: Number(values.rounds ?? (q ? 1 : 3)),
        iterations: Number(values.iterations ?? (q ? 2 : 6)),
      })),
      measured_at: at,
    };
  }
  if (run("scale")) {
    out.scale = {
      ...(await runScale(
        q
          ? { sizes: [10_000, 100_000], redisSizes: [2_000], probes: 5 }
          : { sizes: [10_000, 100_000, 1_000_000], redisSizes: [10_000, 100_000], probes: 20 },
      )),
      measured_at: at,
    };
  }
  if (run("http")) {
    const base = q ? { seconds: 5, subjects: 10 } : {};
    out.http = { ...(await runHttp(base)), measured_at: at };
    // Every core: one process against `deno serve --parallel`, same shared store and load.
    const cores = {
      ...base,
      store: "kv" as const,
      concurrency: 2 * navigator.hardwareConcurrency,
      freshConnections: true,
    };
    out.http_cores = {
      single: await runHttp(cores),
      parallel: await runHttp({ ...cores, parallel: true }),
      measured_at: at,
    };
  }
  if (run("abuse")) {
    out.abuse = {
      ...(await runAbuse(q ? { seconds: 5, slowUploads: 100, largeImages: 2 } : {})),
      measured_at: at,
    };
  }
  if (run("accuracy")) out.accuracy = { ...(await runAccuracy()), measured_at: at };
  if (run("recipes")) {
    out.recipes = {
      ...(await runRecipes(await benchRecipes({ int8: values.int8 }))),
      measured_at: at,
    };
  }
  if (run("atrest")) {
    out.at_rest = { ...(await runAtRest(q ? [1_000] : [10_000])), measured_at: at };
  }
  if (run("openset")) {
    out.open_set = {
      ...(await runOpenSet(q ? [1_000, 10_000] : undefined)),
      measured_at: at,
    };
  }
  if (mode === "shards") {
    out.shards = {
      ...(await runShards({
        faces: Number(values.faces ?? (q ? 20_000 : 200_000)),
        shards: Number(values.shards ?? 4),
      })),
      measured_at: at,
    };
  }
  if (run("pad")) out.pad = { ...(await runPad({ latency: !q })), measured_at: at };
  if (run("edge")) {
    out.edge = {
      ...(await runEdge({
        ...(q ? { repeats: 2, galleryFaces: 2_000 } : {}),
        ...(values.only ? { only: values.only.split(",") } : {}),
        ...(values["v3-faces"] ? { v3Faces: Number(values["v3-faces"]) } : {}),
      })),
      measured_at: at,
    };
  }

  const file = new URL("./results.json", import.meta.url);
  let merged: BenchResults = {};
  try {
    merged = JSON.parse(await Deno.readTextFile(file));
  } catch { /* first run */ }
  if (values.only && out.edge && merged.edge) {
    // `edge --only a,b` re-measures some rows: the others keep their latest numbers.
    const fresh = new Set(out.edge.rows.map((r) => r.kind));
    out.edge.rows = [...merged.edge.rows.filter((r) => !fresh.has(r.kind)), ...out.edge.rows];
  }
  merged = { ...merged, ...out };
  await Deno.writeTextFile(file, JSON.stringify(merged, null, 1) + "\n");
  await writeBenchmarksMd(merged);
  // Keep the generated files in `deno fmt` style so `deno task ok` stays green.
  const generated = ["../BENCHMARKS.md", "./results.json", "./plots/"].map((p) =>
    new URL(p, import.meta.url).pathname
  );
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", ...generated] }).output();
  console.log(JSON.stringify(out, null, 2));
}
