/**
 * The scale benchmark: identify over synthetic galleries (10k, 100k, 1M faces) in memory — the
 * float32 `searchGallery` scan and an int8 WebAssembly-SIMD shard index — and through
 * `UpstashFaceStore` to a real redis-server (via the bridge); plus the accuracy cost of int8
 * embeddings on the dev LFW pairs.
 *
 * @module
 */
import {
  dequantizeInt8,
  GalleryCache,
  GalleryIndex,
  l2Distance,
  normalize,
  quantizeInt8,
  rocAuc,
  searchGallery,
} from "../lib/match/mod.ts";
import { generateMasterKey, MasterKeyring, UpstashFaceStore } from "../lib/store/mod.ts";
import { startRedis } from "../tools/redis_harness.ts";
import { RespConnection, startBridge } from "../tools/upstash_bridge.ts";
import { parsePairs, scorePairs } from "./eval.ts";
import { embedDataset } from "./_embed_dataset.ts";
import { dataDir } from "./_data.ts";
import { enrollGallery, gaussian, noisy, prng, syntheticGallery } from "./_synthetic_gallery.ts";
import { percentile, round } from "./_stats.ts";

/** Options for {@linkcode runScale}. */
export interface ScaleOptions {
  /** Gallery sizes for the in-memory scans. Default: 10k, 100k, 1M. */
  sizes?: number[];
  /** Gallery sizes loaded into Redis. Default: 10k. */
  redisSizes?: number[];
  /** Probes per size. Default: 20. */
  probes?: number;
  /** Median genuine distance for the synthetic noise. Default: measured on the dev set. */
  genuineDistance?: number;
}

/** One in-memory size. */
export interface MemoryScaleRow {
  faces: number;
  subjects: number;
  float32: { p50_ms: number; p95_ms: number; top1: number; bytes_per_face: number };
  int8_wasm: {
    p50_ms: number;
    p95_ms: number;
    top1: number;
    agree_top1_with_float: number;
    bytes_per_face: number;
  };
  /** RSS of the whole process after building both indexes, MiB. */
  rss_mib: number;
}

/** One Redis size. */
export interface RedisScaleRow {
  faces: number;
  load_s: number;
  load_faces_per_s: number;
  /** `store.gallery()` (HSCAN through the REST bridge + unpacking), p50 ms. */
  gallery_p50_ms: number;
  search_p50_ms: number;
  /** gallery + float32 search: an identify without the cache, p50 ms. */
  identify_p50_ms: number;
  /** First identify through the route's GalleryCache: version + gallery + int8 index build + search, ms. */
  cold_cached_identify_ms: number;
  /** Warm identify through the GalleryCache: one version read + int8 index search, p50 ms. */
  warm_cached_identify_p50_ms: number;
  redis_used_memory_bytes_per_face: number;
}

/** The scale section of the report. */
export interface ScaleReport {
  genuine_distance: { median: number; p10: number; p90: number; pairs: number };
  impostor_distance_median: number;
  synthetic_sigma: number;
  memory: MemoryScaleRow[];
  /** The same scans with 128-d vectors (the v3 recipe's templates), interleaved in the same run. */
  memory_128?: MemoryScaleRow[];
  redis: RedisScaleRow[] | { skipped: string };
  redis_extrapolated_1m?: { load_minutes: number; gallery_s: number; note: string };
  int8_accuracy: {
    pairs: number;
    float32: { accuracy: number; auc: number };
    int8: { accuracy: number; auc: number };
    max_distance_change: number;
  };
}

/** Genuine / impostor distance statistics of the cached dev-set embeddings. */
export async function devDistances(): Promise<{
  genuine: number[];
  impostorMedian: number;
  byPath: Map<string, Float32Array>;
}> {
  const rows = await embedDataset();
  const byId = new Map<string, Float32Array[]>();
  const byPath = new Map<string, Float32Array>();
  for (const r of rows) {
    if (!r.embedding) continue;
    byPath.set(r.path, r.embedding);
    byId.set(r.identity, [...(byId.get(r.identity) ?? []), r.embedding]);
  }
  const genuine: number[] = [];
  for (const list of byId.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) genuine.push(l2Distance(list[i], list[j]));
    }
  }
  const all = [...byPath.values()];
  const rand = prng(3);
  const imp: number[] = [];
  for (let k = 0; k < 2000; k++) {
    imp.push(
      l2Distance(all[Math.floor(rand() * all.length)], all[Math.floor(rand() * all.length)]),
    );
  }
  return { genuine, impostorMedian: percentile(imp, 50), byPath };
}

/** Accuracy/AUC of the dev LFW pairs with float32 and with int8 (quantise → dequantise) vectors. */
export async function int8Accuracy(byPath: Map<string, Float32Array>) {
  const pairs = parsePairs(await Deno.readTextFile(`${dataDir()}/faces/pairs.csv`));
  const q = (v: Float32Array) => normalize(dequantizeInt8(quantizeInt8(v)));
  const df: number[] = [], dq: number[] = [];
  let maxChange = 0;
  for (const p of pairs) {
    const a = byPath.get(p.a), b = byPath.get(p.b);
    const f = a && b ? l2Distance(a, b) : NaN;
    const i8 = a && b ? l2Distance(q(a), q(b)) : NaN;
    df.push(f);
    dq.push(i8);
    if (!Number.isNaN(f)) maxChange = Math.max(maxChange, Math.abs(f - i8));
  }
  const same = pairs.map((p) => p.same);
  const sf = scorePairs(df, same), sq = scorePairs(dq, same);
  return {
    pairs: pairs.length,
    float32: { accuracy: round(sf.accuracy, 4), auc: round(rocAuc(sf.validD, sf.validS), 5) },
    int8: { accuracy: round(sq.accuracy, 4), auc: round(rocAuc(sq.validD, sq.validS), 5) },
    max_distance_change: round(maxChange, 5),
  };
}

function probesFor(g: ReturnType<typeof syntheticGallery>, count: number, seed: number) {
  const normal = gaussian(prng(seed));
  const rand = prng(seed + 1);
  return Array.from({ length: count }, () => {
    const si = Math.floor(rand() * g.subjects.length);
    const c = g.centres.subarray(si * g.dim, (si + 1) * g.dim);
    return { subject: g.subjects[si], vector: noisy(c, g.sigma, normal) };
  });
}

/** Runs the in-memory scans for one size. */
export function memoryScale(
  faces: number,
  genuineDistance: number,
  probes = 20,
  dim = 512,
): MemoryScaleRow {
  const g = syntheticGallery({ faces, genuineDistance, seed: 7, dim });
  const ps = probesFor(g, probes, 11);
  const tf: number[] = [], ti: number[] = [];
  let top1f = 0, top1i = 0, agree = 0;
  const floatTop: string[] = [];
  for (const p of ps) {
    const t = performance.now();
    const r = searchGallery(g, p.vector, { k: 5 });
    tf.push(performance.now() - t);
    floatTop.push(r[0].subject);
    if (r[0].subject === p.subject) top1f++;
  }
  const rssF = Deno.memoryUsage().rss;
  const idx = GalleryIndex.build(g);
  for (const [k, p] of ps.entries()) {
    const t = performance.now();
    const r = idx.search(p.vector, 5);
    ti.push(performance.now() - t);
    if (r[0].subject === p.subject) top1i++;
    if (r[0].subject === floatTop[k]) agree++;
  }
  const idsBytes = g.faceIds.reduce((s, id) => s + 12 + id.length, 0) / faces + 4;
  return {
    faces,
    subjects: g.subjects.length,
    float32: {
      p50_ms: round(percentile(tf, 50), 2),
      p95_ms: round(percentile(tf, 95), 2),
      top1: round(top1f / ps.length, 3),
      bytes_per_face: round(g.dim * 4 + idsBytes, 0),
    },
    int8_wasm: {
      p50_ms: round(percentile(ti, 50), 2),
      p95_ms: round(percentile(ti, 95), 2),
      top1: round(top1i / ps.length, 3),
      agree_top1_with_float: round(agree / ps.length, 3),
      bytes_per_face: round(g.dim + 4 + idsBytes, 0),
    },
    rss_mib: round(Math.max(rssF, Deno.memoryUsage().rss) / 2 ** 20, 0),
  };
}

async function redisUsedMemory(port: number): Promise<number> {
  const conn = await RespConnection.connect(port);
  try {
    const info = await conn.call("INFO", "memory");
    const text = info instanceof Uint8Array ? new TextDecoder().decode(info) : String(info);
    return Number(/used_memory:(\d+)/.exec(text)?.[1] ?? NaN);
  } finally {
    conn.close();
  }
}

/** Loads synthetic faces into a real redis-server through the bridge and times identify. */
export async function redisScale(sizes: number[], genuineDistance: number, probes = 5) {
  const redis = await startRedis();
  if (redis === null) return { skipped: "redis-server is not installed" } as const;
  const bridge = await startBridge({ redisPort: redis.port, token: crypto.randomUUID() });
  const rows: RedisScaleRow[] = [];
  try {
    for (const faces of sizes) {
      const store = new UpstashFaceStore({
        url: bridge.url,
        token: bridge.token,
        prefix: `bench-${crypto.randomUUID().slice(0, 8)}:`,
        timeoutMs: 120_000,
        encryption: await MasterKeyring.fromText(generateMasterKey()),
      });
      const ref = { model: "bench@1", collection: "scale" };
      const mem0 = await redisUsedMemory(redis.port);
      const g = syntheticGallery({ faces, genuineDistance, seed: 5 });
      const t0 = performance.now();
      await enrollGallery(store, ref, g);
      const loadS = (performance.now() - t0) / 1000;
      const mem1 = await redisUsedMemory(redis.port);
      const tg: number[] = [], ts: number[] = [];
      for (const p of probesFor(g, probes, 13)) {
        let t = performance.now();
        const gallery = await store.gallery(ref);
        tg.push(performance.now() - t);
        t = performance.now();
        searchGallery(gallery, p.vector, { k: 5 });
        ts.push(performance.now() - t);
      }
      // What the identify route does: the store's gallery version validates a per-isolate index.
      const cache = new GalleryCache();
      const cachedSearch = async (p: Float32Array) => {
        const version = await store.galleryVersion(ref);
        const index = await cache.get("bench|scale", version, () => store.gallery(ref));
        return index.search(p, 5);
      };
      const probeList = probesFor(g, probes, 13);
      let t1 = performance.now();
      await cachedSearch(probeList[0].vector);
      const coldCached = performance.now() - t1;
      const tw: number[] = [];
      for (const p of probeList) {
        t1 = performance.now();
        await cachedSearch(p.vector);
        tw.push(performance.now() - t1);
      }
      rows.push({
        faces,
        cold_cached_identify_ms: round(coldCached, 1),
        warm_cached_identify_p50_ms: round(percentile(tw, 50), 1),
        load_s: round(loadS, 1),
        load_faces_per_s: round(faces / loadS, 0),
        gallery_p50_ms: round(percentile(tg, 50), 1),
        search_p50_ms: round(percentile(ts, 50), 1),
        identify_p50_ms: round(percentile(tg.map((x, i) => x + ts[i]), 50), 1),
        redis_used_memory_bytes_per_face: round((mem1 - mem0) / faces, 0),
      });
      await store.purge();
    }
  } finally {
    await bridge.close();
    await redis.stop();
  }
  return rows;
}

/** Runs the whole scale benchmark. */
export async function runScale(options: ScaleOptions = {}): Promise<ScaleReport> {
  const { genuine, impostorMedian, byPath } = await devDistances();
  const gd = options.genuineDistance ?? percentile(genuine, 50);
  const memory: MemoryScaleRow[] = [], memory128: MemoryScaleRow[] = [];
  for (const n of options.sizes ?? [10_000, 100_000, 1_000_000]) {
    console.error(`scale: memory ${n}`);
    memory.push(memoryScale(n, gd, options.probes ?? 20));
    memory128.push(memoryScale(n, gd, options.probes ?? 20, 128));
  }
  console.error("scale: redis");
  const redis = await redisScale(options.redisSizes ?? [10_000], gd);
  const report: ScaleReport = {
    genuine_distance: {
      median: round(gd, 4),
      p10: round(percentile(genuine, 10), 4),
      p90: round(percentile(genuine, 90), 4),
      pairs: genuine.length,
    },
    impostor_distance_median: round(impostorMedian, 4),
    synthetic_sigma: round(syntheticGallery({ faces: 1, genuineDistance: gd }).sigma, 6),
    memory,
    memory_128: memory128,
    redis,
    int8_accuracy: await int8Accuracy(byPath),
  };
  if (Array.isArray(redis) && redis.length > 0) {
    const last = redis[redis.length - 1];
    report.redis_extrapolated_1m = {
      load_minutes: round(1e6 / last.load_faces_per_s / 60, 1),
      gallery_s: round((last.gallery_p50_ms * 1e6) / last.faces / 1000, 1),
      note: `linear extrapolation from ${last.faces} faces (measured per-face cost), not measured`,
    };
  }
  return report;
}
