/**
 * `deno task bench shards [--faces N] [--shards S]`: gallery shards on workerd. Builds the Worker,
 * runs a bench Worker beside the bundle (`dist/worker/bench_shards.js`: the bundle's
 * `GalleryShard` plus a fetch handler that forwards `/s/<shard name>/<path>` to a shard; never
 * deployed) under `wrangler dev --local`, loads N synthetic 128-d templates (v3's size; two faces
 * per subject, `shard = hash(subject) mod S`) in batches of 5,000 rows, then measures:
 *
 * - `top1_agreement`: the merged fan-out's nearest subject against one in-process
 *   {@linkcode GalleryIndex} over the same faces, for 120 probes (noisy copies of gallery faces
 *   and random strangers);
 * - `cold_ms`: the first fan-out after workerd restarts on the same state (every shard reads its
 *   SQLite rows and builds its index), `warm_ms_p50` over the probes after that;
 * - `max_shard_isolate_mib`: the isolate's V8 heap + ArrayBuffers + wasm after a GC, read through
 *   the inspector. Locally every shard runs in the Worker's one isolate, so this is all S shards
 *   together: an upper bound for any one shard's isolate.
 *
 * @module
 */
import { GalleryIndex } from "../lib/match/mod.ts";
import { packRows, shardOf } from "../lib/shards/mod.ts";
import { buildWorker, OUT_DIR } from "../tools/build_worker.ts";
import { inspectIsolate, startWranglerDev, type WranglerDev } from "../tools/wrangler_dev.ts";
import { gaussian, prng } from "./_synthetic_gallery.ts";

/** The report of {@linkcode runShards}. */
export interface ShardsReport {
  faces: number;
  shards: number;
  dim: number;
  probes: number;
  top1_agreement: number;
  warm_ms_p50: number;
  cold_ms: number;
  max_shard_isolate_mib: number;
  load_s: number;
  note: string;
}

const BENCH_WORKER = `import { GalleryShard } from "./worker.js";
export { GalleryShard };
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const m = /^\\/s\\/([^/]+)(\\/.*)$/.exec(url.pathname);
    if (!m) return new Response("not found", { status: 404 });
    const name = decodeURIComponent(m[1]);
    const stub = env.GALLERY_SHARDS.get(env.GALLERY_SHARDS.idFromName(name));
    return await stub.fetch("https://shard" + m[2] + url.search, {
      method: request.method,
      body: request.method === "POST" ? await request.arrayBuffer() : undefined,
      headers: { "x-facegate-shard": name },
    });
  },
};
`;

async function benchConfig(dir: string): Promise<string> {
  await Deno.writeTextFile(new URL("bench_shards.js", OUT_DIR), BENCH_WORKER);
  const base = OUT_DIR.pathname;
  const toml = `name = "facegate-shards-bench"
main = ${JSON.stringify(`${base}bench_shards.js`)}
compatibility_date = "2026-04-01"
no_bundle = true
find_additional_modules = true
base_dir = ${JSON.stringify(base)}

[[rules]]
type = "ESModule"
globs = ["**/worker.js"]
fallthrough = false

[[rules]]
type = "CompiledWasm"
globs = ["**/*.wasm"]
fallthrough = false

[[rules]]
type = "Data"
globs = ["**/*.onnx", "**/*.f32"]
fallthrough = false

[[durable_objects.bindings]]
name = "GALLERY_SHARDS"
class_name = "GalleryShard"

[[migrations]]
tag = "v1-gallery-shards"
new_sqlite_classes = ["GalleryShard"]
`;
  const path = `${dir}/wrangler.toml`;
  await Deno.writeTextFile(path, toml);
  return path;
}

/** Runs the bench. */
export async function runShards(
  options: { faces?: number; shards?: number; probes?: number } = {},
): Promise<ShardsReport> {
  const faces = options.faces ?? 200_000, S = options.shards ?? 4, nProbes = options.probes ?? 120;
  const dim = 128;
  const rand = prng(7), normal = gaussian(rand);
  const unit = (v: Float32Array) => {
    let s = 0;
    for (const x of v) s += x * x;
    s = 1 / Math.sqrt(s);
    for (let j = 0; j < v.length; j++) v[j] *= s;
    return v;
  };
  const vectors = new Float32Array(faces * dim);
  const subjectOf = (i: number) => `p${i >> 1}`;
  for (let i = 0; i < faces; i++) {
    const v = vectors.subarray(i * dim, (i + 1) * dim);
    if (i % 2 === 1) {
      // A second face of the subject: the first plus noise (a genuine pair).
      for (let j = 0; j < dim; j++) v[j] = vectors[(i - 1) * dim + j] + 0.06 * normal();
    } else for (let j = 0; j < dim; j++) v[j] = normal();
    unit(v);
  }
  const probes = Array.from({ length: nProbes }, (_, p) => {
    const v = new Float32Array(dim);
    const src = Math.floor(rand() * faces);
    for (let j = 0; j < dim; j++) {
      v[j] = p % 4 === 3 ? normal() : vectors[src * dim + j] + 0.05 * normal();
    }
    return unit(v);
  });
  const subjects = Array.from({ length: faces >> 1 }, (_, s) => `p${s}`);
  const reference = GalleryIndex.build({
    dim,
    subjects,
    subjectIndex: Int32Array.from({ length: faces }, (_, i) => i >> 1),
    faceIds: Array.from({ length: faces }, (_, i) => `f${i}`),
    vectors,
  });
  const want = probes.map((p) => reference.search(p, 1)[0].subject);

  await buildWorker();
  const dir = await Deno.makeTempDir({ prefix: "facegate_shards_bench_" });
  const config = await benchConfig(dir);
  const persistTo = `${dir}/state`;
  const name = (i: number) => `bench|crowd|${i}/${S}`;
  const call = async (w: WranglerDev, i: number, path: string, init?: RequestInit) => {
    const res = await fetch(`${w.url}/s/${encodeURIComponent(name(i))}${path}`, {
      ...init,
      signal: AbortSignal.timeout(300_000),
    });
    if (!res.ok) throw new Error(`shard ${i} ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  const fanOut = async (w: WranglerDev, probe: Float32Array) => {
    const results = await Promise.all(
      Array.from(
        { length: S },
        async (_, i) =>
          await (await call(w, i, "/search?k=1", { method: "POST", body: probe.slice() }))
            .json() as {
              candidates: { subject: string; similarity: number }[];
            },
      ),
    );
    const all = results.flatMap((r) => r.candidates);
    all.sort((a, b) => b.similarity - a.similarity || (a.subject < b.subject ? -1 : 1));
    return all[0]?.subject;
  };

  let w = await startWranglerDev({ config, persistTo });
  const t0 = performance.now();
  try {
    const byShard = Array.from({ length: S }, () => [] as number[]);
    for (let i = 0; i < faces; i++) byShard[shardOf(subjectOf(i), S)].push(i);
    const BATCH = 5_000;
    for (let s = 0; s < S; s++) {
      for (let b = 0; b < byShard[s].length; b += BATCH) {
        const idx = byShard[s].slice(b, b + BATCH);
        const v = new Float32Array(idx.length * dim);
        idx.forEach((i, r) => v.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim));
        const body = packRows({
          dim,
          faces: idx.map((i) => ({ subject: subjectOf(i), face_id: `f${i}`, created_at: 0 })),
          vectors: v,
        });
        await (await call(w, s, "/add", { method: "POST", body })).body?.cancel();
      }
    }
  } finally {
    await w.stop();
  }
  const loadS = (performance.now() - t0) / 1000;

  w = await startWranglerDev({ config, persistTo });
  try {
    const c0 = performance.now();
    const first = await fanOut(w, probes[0]);
    const coldMs = performance.now() - c0;
    let agree = first === want[0] ? 1 : 0;
    const times: number[] = [];
    for (let p = 1; p < nProbes; p++) {
      const s0 = performance.now();
      if ((await fanOut(w, probes[p])) === want[p]) agree++;
      times.push(performance.now() - s0);
    }
    times.sort((a, b) => a - b);
    const inspector = await inspectIsolate(w);
    const m = await inspector.memory();
    inspector.close();
    const mib = (m.heapUsed + m.arrayBuffers + m.wasm) / 2 ** 20;
    return {
      faces,
      shards: S,
      dim,
      probes: nProbes,
      top1_agreement: agree / nProbes,
      warm_ms_p50: Math.round(times[times.length >> 1] * 10) / 10,
      cold_ms: Math.round(coldMs),
      max_shard_isolate_mib: Math.round(mib * 10) / 10,
      load_s: Math.round(loadS),
      note: "wrangler dev --local on this machine: all shards share the Worker's one isolate, so " +
        "max_shard_isolate_mib is all of them together (an upper bound per shard); cold_ms is " +
        "the first fan-out after a workerd restart (SQLite read + index build in every shard)",
    };
  } finally {
    await w.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
