/**
 * The edge benchmark (`deno task bench edge`): the Workers bundle on workerd (`wrangler dev
 * --local`), one request at a time, measuring per request kind the workerd process's peak
 * resident memory (VmHWM, reset before each request through `/proc/<pid>/clear_refs`) and its CPU
 * time (all threads, `/proc/<pid>/task/*\/schedstat`). Every kind runs in a fresh workerd, so its
 * first request is a cold start (ort instantiation, three model sessions) and the following ones
 * are warm. An empty Worker in the same workerd gives the runtime's own RSS, which is subtracted
 * to estimate what the isolate holds (an upper bound: it also counts compiled wasm code).
 *
 * Faces live in a real redis-server behind the Upstash REST bridge: a synthetic 10k-face gallery
 * (bench/_synthetic_gallery.ts) for identify, whose subject `s0` is also the verify target.
 * Images: the speed benchmark's 640×480 and 4032×3024 JPEGs (real photos re-encoded by jpeg-js;
 * the latter upscaled to a 12 MP phone size), a 2000×2000 8-bit RGB PNG of the same photo, and
 * the issue's abuse case, a 7000×7000 16-bit RGBA PNG.
 *
 * @module
 */
import { buildWorker } from "../tools/build_worker.ts";
import {
  inspectIsolate,
  processCpuMs,
  processMemory,
  resetPeakMemory,
  startWranglerDev,
  type WranglerDev,
} from "../tools/wrangler_dev.ts";
import { startRedis } from "../tools/redis_harness.ts";
import { startBridge } from "../tools/upstash_bridge.ts";
import { generateMasterKey, MasterKeyring, UpstashFaceStore } from "../lib/store/mod.ts";
import { decodeImage, DEFAULT_MAX_DECODED_BYTES, resizeBilinear } from "../lib/image/mod.ts";
import { readJpegHeader, readPngHeader } from "../lib/image/_headers.ts";
import { planJpegDecode, pngDecodeBytes } from "../lib/image/_decode_cost.ts";
import {
  avifDecodeBytes,
  gifDecodeBytes,
  planHeicDecode,
  webpDecodeBytes,
} from "../lib/image/_decode_cost_formats.ts";
import { readHeifHeader } from "../lib/image/_heif_header.ts";
import { readGifHeader } from "../lib/image/_gif.ts";
import { readWebpHeader } from "../lib/image/_webp.ts";
import { sniffFormat } from "../lib/image/_sniff.ts";
import { convertPhoto, type Target } from "../tests/lib/image/_format_fixtures.ts";
import { cropRaster } from "../lib/image/crop_raster.ts";
import type { Raster } from "../lib/image/raster.ts";
import { crc32 } from "../lib/image/_png_chunks.ts";
import { defaultRecipe, embedderRecipes } from "../models/manifest.ts";
import { benchImages } from "./_images.ts";
import { enrollGallery, syntheticGallery } from "./_synthetic_gallery.ts";
import { percentile, round } from "./_stats.ts";

const MIB = 1024 * 1024;
/** Workers' memory limit per isolate. */
export const WORKERS_LIMIT_MB = 128;
/** Workers Standard price of CPU time: $0.02 per million CPU milliseconds. */
export const USD_PER_MILLION_CPU_MS = 0.02;

/** Options for {@linkcode runEdge}. */
export interface EdgeOptions {
  /** Warm requests per kind after the first. Default: 6. */
  repeats?: number;
  /** Faces in the identify gallery. Default: 10_000. */
  galleryFaces?: number;
  /** Only the kinds whose name contains one of these. Default: all. */
  only?: string[];
  /**
   * Faces of a second, v3 (128-d) collection for an identify row. Default: 0 (none). `only`
   * applies to its row too, and the 512-d gallery is then not loaded unless a row needs it.
   */
  v3Faces?: number;
}

/** One request kind in a fresh workerd. */
export interface EdgeRow {
  kind: string;
  /** `FACEGATE_MAX_DECODED_BYTES` the worker ran with (MiB). */
  budget_mib: number;
  /** HTTP status of every request (first, then warm). */
  statuses: number[];
  /** workerd RSS after start and one `/healthz` (app built, no model loaded), MiB. */
  idle_rss_mib: number;
  /** Peak RSS during the first (cold) request, MiB. */
  cold_peak_mib: number;
  /** Highest peak RSS over the warm requests, MiB. */
  warm_peak_mib: number;
  /** Peak RSS minus the empty Worker's RSS (includes compiled code), MiB. */
  rss_over_empty_mib: number;
  /** Inside the isolate after the last request: V8 heap + ArrayBuffers (before GC) + wasm, MiB. */
  isolate_after_mib: number;
  /** Of which onnxruntime's (and any live) wasm linear memory, MiB. */
  isolate_wasm_mib: number;
  /** What survives a garbage collection after the requests: heap + ArrayBuffers + wasm, MiB. */
  isolate_retained_mib: number;
  /** The decoder's own estimate of its transient peak for this image (0 when refused), MiB. */
  decode_estimate_mib: number;
  /**
   * The isolate's peak bound, MiB: the larger of `isolate_after_mib` and retained + request
   * body + decode estimate (the decode holds the body, its codec memory and the RGBA raster).
   */
  isolate_peak_mib: number;
  /** `WORKERS_LIMIT_MB` minus `isolate_peak_mib` (MB vs MiB: conservative). */
  headroom_mib: number;
  /** CPU milliseconds of the cold request on the Worker's thread. */
  cold_cpu_ms: number;
  /** Median CPU milliseconds of a warm request on the Worker's thread (what Workers bill). */
  warm_cpu_ms: number;
  /** Median CPU milliseconds of a warm request on all workerd threads (adds V8 background work). */
  warm_cpu_all_threads_ms: number;
  /** Median wall milliseconds of a warm request. */
  warm_wall_ms: number;
  /** Price of the warm CPU time per million requests, USD. */
  usd_per_million: number;
  /** Request body bytes. */
  body_bytes: number;
}

/** The edge benchmark's result. */
export interface EdgeReport {
  proxy: string;
  wrangler: string;
  empty_worker_rss_mib: number;
  default_budget_mib: number;
  gallery_faces: number;
  rows: EdgeRow[];
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Encodes an 8-bit RGB (alpha dropped) or an all-zero 16-bit RGBA PNG, rows streamed. */
async function encodePng(
  width: number,
  height: number,
  rows: (y: number) => Uint8Array<ArrayBuffer>,
  depth: 8 | 16,
  colorType: 2 | 6,
): Promise<Uint8Array> {
  let y = 0;
  const stream = new ReadableStream<BufferSource>({
    pull(c) {
      for (let k = 0; k < 32 && y < height; k++, y++) c.enqueue(rows(y) as Uint8Array<ArrayBuffer>);
      if (y >= height) c.close();
    },
  }).pipeThrough(new CompressionStream("deflate"));
  const idat = new Uint8Array(await new Response(stream).arrayBuffer());
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([depth, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

/** The 2000×2000 RGB PNG: the 12 MP photo centre-cropped to a square and downscaled. */
async function photoPng(jpeg: Uint8Array): Promise<Uint8Array> {
  const full = await decodeImage(jpeg, { maxDecodedBytes: 512 * MIB });
  const side = Math.min(full.width, full.height);
  const square: Raster = cropRaster(full, {
    x: Math.floor((full.width - side) / 2),
    y: Math.floor((full.height - side) / 2),
    width: side,
    height: side,
  });
  const r = resizeBilinear(square, 2000, 2000);
  return encodePng(
    2000,
    2000,
    (y) => {
      const row = new Uint8Array(1 + 2000 * 3);
      for (let x = 0; x < 2000; x++) {
        row.set(
          r.data.subarray((y * 2000 + x) * 4, (y * 2000 + x) * 4 + 3),
          1 + 3 * x,
        );
      }
      return row;
    },
    8,
    2,
  );
}

/** The issue's abuse case: 7000×7000 16-bit RGBA, all zero (~0.5 MB on the wire). */
function abusePng(): Promise<Uint8Array> {
  const row = new Uint8Array(1 + 7000 * 8);
  return encodePng(7000, 7000, () => row, 16, 6);
}

async function request(url: string, body: Uint8Array, type: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": type },
    body: body as BodyInit,
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/**
 * The decoder's estimate of its transient memory for `bytes` as the pipeline decodes it (JPEG:
 * the working scale for a 960 px detector input, or finer within the budget), 0 when refused.
 */
function decodeEstimate(bytes: Uint8Array, budget: number): number {
  if (bytes[0] === 0xff) {
    const h = readJpegHeader(bytes);
    const plan = planJpegDecode(h, bytes.length, 960, budget, false);
    // A small face makes the pipeline re-decode finer, at most to what the budget allows.
    const finest = planJpegDecode(h, bytes.length, 0, budget, false);
    return Math.max(plan.scale ? plan.bytes : 0, finest.scale ? finest.bytes : 0);
  }
  const format = sniffFormat(bytes);
  if (format === "image/heic" || format === "image/avif") {
    const h = readHeifHeader(bytes);
    if (h.codec === "hvc1") {
      const plan = planHeicDecode(h, bytes.length, 960, budget, false);
      const finest = planHeicDecode(h, bytes.length, 0, budget, false);
      return Math.max(plan.scale ? plan.bytes : 0, finest.scale ? finest.bytes : 0);
    }
    const need = avifDecodeBytes(h, bytes.length, false);
    return need <= budget ? need : 0;
  }
  const need = format === "image/webp"
    ? webpDecodeBytes(readWebpHeader(bytes), bytes.length, false)
    : format === "image/gif"
    ? gifDecodeBytes(readGifHeader(bytes).width, readGifHeader(bytes).height)
    : pngDecodeBytes(readPngHeader(bytes), bytes.length);
  return need <= budget ? need : 0;
}

/** `jpeg` converted to `target` (at `size`), through a temporary file. */
async function converted(jpeg: Uint8Array, target: Target, size?: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "facegate_edge_formats_" });
  try {
    await Deno.writeFile(`${dir}/src.jpg`, jpeg);
    return await convertPhoto(dir, `${dir}/src.jpg`, target, size);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** RSS of workerd running an empty Worker (the runtime's own share), MiB. */
async function emptyWorkerRss(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "facegate_empty_worker_" });
  await Deno.writeTextFile(
    `${dir}/worker.js`,
    'export default { fetch() { return new Response("ok"); } };\n',
  );
  await Deno.writeTextFile(
    `${dir}/wrangler.toml`,
    'name = "empty"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n',
  );
  const w = await startWranglerDev({ config: `${dir}/wrangler.toml` });
  try {
    for (let i = 0; i < 3; i++) await (await fetch(w.url)).text();
    return processMemory(w.workerdPid).rss / MIB;
  } finally {
    await w.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

interface Kind {
  kind: string;
  path: string;
  body: Uint8Array;
  type: string;
  budget?: number;
}

async function measureKind(
  k: Kind,
  vars: Record<string, string>,
  repeats: number,
  empty: number,
): Promise<EdgeRow> {
  const budget = k.budget ?? DEFAULT_MAX_DECODED_BYTES;
  const decode = decodeEstimate(k.body, budget);
  const w: WranglerDev = await startWranglerDev({
    vars: { ...vars, FACEGATE_MAX_DECODED_BYTES: String(budget) },
  });
  try {
    const pid = w.workerdPid;
    const idle = processMemory(pid).rss / MIB;
    const one = async () => {
      resetPeakMemory(pid);
      const cpu0 = processCpuMs(pid);
      const t0 = performance.now();
      const res = await request(`${w.url}${k.path}`, k.body, k.type);
      const wall = performance.now() - t0;
      // Let workerd finish the response's bookkeeping before reading its counters.
      await new Promise((r) => setTimeout(r, 50));
      const cpu1 = processCpuMs(pid);
      const cpu = cpu1.main - cpu0.main;
      const cpuAll = cpu1.all - cpu0.all;
      const peak = processMemory(pid).peak / MIB;
      if (res.status >= 500) {
        console.error(`edge: ${k.kind}: ${res.status} ${res.text.slice(0, 300)}`);
      }
      return { status: res.status, wall, cpu, cpuAll, peak };
    };
    const cold = await one();
    const warm = [];
    for (let i = 0; i < repeats; i++) warm.push(await one());
    // The inspector attaches after the requests: a DevTools session slows wasm down.
    const isolate = { after: 0, wasm: 0, retained: 0 };
    try {
      const inspector = await inspectIsolate(w);
      const m = await inspector.memory();
      inspector.close();
      isolate.after = (m.heapTotal + m.arrayBuffers + m.wasm) / MIB;
      isolate.wasm = m.wasm / MIB;
      isolate.retained = (m.retained + m.wasm) / MIB;
    } catch (err) {
      console.error(`edge: ${k.kind}: cannot inspect the isolate: ${err}`);
    }
    const warmPeak = Math.max(...warm.map((x) => x.peak));
    const median = (xs: number[]) => percentile(xs, 50);
    const warmCpu = median(warm.map((x) => x.cpu));
    const bound = Math.max(isolate.after, isolate.retained + (decode + k.body.length) / MIB);
    const row: EdgeRow = {
      kind: k.kind,
      budget_mib: round(budget / MIB, 0),
      statuses: [cold.status, ...warm.map((x) => x.status)],
      idle_rss_mib: round(idle, 1),
      cold_peak_mib: round(cold.peak, 1),
      warm_peak_mib: round(warmPeak, 1),
      rss_over_empty_mib: round(Math.max(cold.peak, warmPeak) - empty, 1),
      isolate_after_mib: round(isolate.after, 1),
      isolate_wasm_mib: round(isolate.wasm, 1),
      isolate_retained_mib: round(isolate.retained, 1),
      decode_estimate_mib: round(decode / MIB, 1),
      isolate_peak_mib: round(bound, 1),
      headroom_mib: round(WORKERS_LIMIT_MB - bound, 1),
      cold_cpu_ms: round(cold.cpu, 0),
      warm_cpu_ms: round(warmCpu, 0),
      warm_cpu_all_threads_ms: round(median(warm.map((x) => x.cpuAll)), 0),
      warm_wall_ms: round(median(warm.map((x) => x.wall)), 0),
      usd_per_million: round(warmCpu * USD_PER_MILLION_CPU_MS, 2),
      body_bytes: k.body.length,
    };
    console.error(`edge: ${JSON.stringify(row)}`);
    return row;
  } finally {
    await w.stop();
  }
}

/** Runs the edge benchmark; see the module doc. */
export async function runEdge(options: EdgeOptions = {}): Promise<EdgeReport> {
  const repeats = options.repeats ?? 6;
  const faces = options.galleryFaces ?? 10_000;
  await buildWorker();
  const images = await benchImages(["640x480", "4032x3024"]);
  const small = images.find((i) => i.label === "640x480")!.bytes;
  const phone = images.find((i) => i.label === "4032x3024")!.bytes;
  const png = await photoPng(phone);
  const abuse = await abusePng();
  const empty = await emptyWorkerRss();
  console.error(`edge: empty worker RSS ${round(empty, 1)} MiB`);

  const redis = await startRedis();
  if (redis === null) throw new Error("redis-server is not installed: the edge bench needs it");
  const bridge = await startBridge({ redisPort: redis.port, token: crypto.randomUUID() });
  const prefix = `edge${crypto.randomUUID().slice(0, 8)}:`;
  const rows: EdgeRow[] = [];
  try {
    // Sealed like production: the Worker opens every template with the same master key.
    const masterKey = generateMasterKey();
    const store = new UpstashFaceStore({
      url: bridge.url,
      token: bridge.token,
      prefix,
      timeoutMs: 120_000,
      encryption: await MasterKeyring.fromText(masterKey),
    });
    const ref = { model: defaultRecipe().id, collection: "edge" };
    const needs512 = !options.only || options.only.some((o) => !"v3".includes(o));
    if (needs512) {
      const g = syntheticGallery({ faces, seed: 9 });
      await enrollGallery(store, ref, g);
      console.error(`edge: loaded ${faces} synthetic faces`);
    }
    const v3Faces = options.v3Faces ?? 0;
    const v3 = embedderRecipes().find((r) => r.projection);
    if (v3Faces > 0 && v3) {
      const t0 = performance.now();
      const g3 = syntheticGallery({ faces: v3Faces, seed: 10, dim: v3.projection!.output });
      await enrollGallery(store, { model: v3.id, collection: "edge3" }, g3, 32);
      console.error(
        `edge: loaded ${v3Faces} synthetic 128-d faces in ${Math.round(performance.now() - t0)} ms`,
      );
    }
    const vars = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      FACEGATE_REDIS_PREFIX: prefix,
      FACEGATE_MASTER_KEY: masterKey,
      FACEGATE_AUTH: "off",
      FACEGATE_RATE_LIMIT: "0",
    };
    const verify = "/v1/collections/edge/subjects/s0/verify";
    const kinds: Kind[] = [
      { kind: "verify 640×480 JPEG", path: verify, body: small, type: "image/jpeg" },
      { kind: "verify 4032×3024 JPEG (12 MP)", path: verify, body: phone, type: "image/jpeg" },
      { kind: "verify 2000×2000 PNG", path: verify, body: png, type: "image/png" },
      {
        kind: "verify 2000×2000 PNG",
        path: verify,
        body: png,
        type: "image/png",
        budget: 96 * MIB,
      },
      { kind: "liveness 640×480 JPEG", path: "/v1/liveness", body: small, type: "image/jpeg" },
      {
        kind: "verify 640×480 JPEG + passive liveness",
        path: `${verify}?liveness=true`,
        body: small,
        type: "image/jpeg",
      },
      {
        kind: `identify 640×480 JPEG, ${faces / 1000}k faces`,
        path: "/v1/collections/edge/identify",
        body: small,
        type: "image/jpeg",
      },
      ...(v3Faces > 0
        ? [{
          kind: `identify 640×480 JPEG, v3 128-d, ${v3Faces / 1000}k faces`,
          path: "/v1/collections/edge3/identify",
          body: small,
          type: "image/jpeg",
        }]
        : []),
      {
        kind: "verify 7000×7000 16-bit PNG (abuse)",
        path: verify,
        body: abuse,
        type: "image/png",
      },
    ];
    // The other accepted formats (issue 21): the 640×480 photo as HEIC, WebP, AVIF and GIF, and
    // the phone photo as a grid HEIC at 12 MP and upscaled to 48 MP, as iPhones write them.
    const wanted = (kind: string) => !options.only || options.only.some((o) => kind.includes(o));
    const formats: [string, () => Promise<Uint8Array>, string][] = [
      ["verify 640×480 HEIC", () => converted(small, "heic"), "image/heic"],
      ["verify 640×480 WebP", () => converted(small, "webp"), "image/webp"],
      ["verify 640×480 AVIF", () => converted(small, "avif"), "image/avif"],
      ["verify 640×480 GIF", () => converted(small, "gif"), "image/gif"],
      ["verify 4032×3024 grid HEIC (12 MP)", () => converted(phone, "heic-grid"), "image/heic"],
      [
        "verify 8064×6048 grid HEIC (48 MP)",
        () => converted(phone, "heic-grid", "8064x6048"),
        "image/heic",
      ],
    ];
    for (const [kind, make, type] of formats) {
      if (wanted(kind)) kinds.push({ kind, path: verify, body: await make(), type });
    }
    for (const k of kinds) {
      if (options.only && !options.only.some((o) => k.kind.includes(o))) continue;
      rows.push(await measureKind(k, vars, repeats, empty));
    }
    await store.purge();
  } finally {
    await bridge.close();
    await redis.stop();
  }
  const wranglerVersion = JSON.parse(
    await Deno.readTextFile(new URL("../node_modules/wrangler/package.json", import.meta.url)),
  ).version;
  return {
    proxy: "inside the isolate (Chrome DevTools Protocol through wrangler's inspector): V8 heap " +
      "+ ArrayBuffer backing stores + every WebAssembly.Memory right after each request; the " +
      "peak bound adds the request body and the decoder's estimate of its transient memory " +
      "(0.81-0.98x of measured codec memory above 10 MiB) to what survives a GC; and the workerd process's " +
      "peak RSS (VmHWM reset before each request), which also counts compiled code and the " +
      "runtime",
    wrangler: wranglerVersion,
    empty_worker_rss_mib: round(empty, 1),
    default_budget_mib: DEFAULT_MAX_DECODED_BYTES / MIB,
    gallery_faces: faces,
    rows,
  };
}

/** The table of an edge run: one row per request kind. */
export function edgeTable(e: EdgeReport): string[] {
  const head = [
    "request (fresh workerd per row)",
    "decode budget (MiB)",
    "status",
    "isolate after request (MiB)",
    "of which wasm (MiB)",
    "retained after GC (MiB)",
    "decode estimate (MiB)",
    "isolate peak bound (MiB)",
    "headroom to 128 MB (MiB)",
    "workerd peak RSS (MiB)",
    "cold CPU (ms)",
    "warm CPU p50 (ms)",
    "$ per 1M requests (CPU)",
  ];
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...e.rows.map((r) =>
      `| ${
        [
          r.kind,
          r.budget_mib,
          [...new Set(r.statuses)].join("/"),
          r.isolate_after_mib,
          r.isolate_wasm_mib,
          r.isolate_retained_mib,
          r.decode_estimate_mib,
          r.isolate_peak_mib,
          r.headroom_mib,
          Math.max(r.cold_peak_mib, r.warm_peak_mib),
          r.cold_cpu_ms,
          r.warm_cpu_ms,
          r.usd_per_million,
        ].join(" | ")
      } |`
    ),
  ];
}

/** The BENCHMARKS.md section of an edge run. */
export function edgeMarkdown(e: EdgeReport & { measured_at: string }): string[] {
  return [
    "## Edge: memory and CPU per request on workerd",
    "",
    `Measured ${e.measured_at} by \`deno task bench edge\` (bench/_edge.ts): the Workers bundle under`,
    `\`wrangler dev --local\` (wrangler ${e.wrangler}), one request at a time, a fresh workerd per row`,
    "(its first request is the cold start: onnxruntime instantiation and three model sessions), then",
    "warm requests. Upstash store through the REST bridge to a real redis-server holding",
    `${e.gallery_faces} synthetic faces. Memory proxy: ${e.proxy}. An empty Worker's workerd has`,
    `${e.empty_worker_rss_mib} MiB RSS. CPU: the Worker's thread of its workerd process (from`,
    "`/proc`; V8's background threads add tier-up compilation and GC on top, see results.json),",
    `median of the warm requests, priced at $${USD_PER_MILLION_CPU_MS} per million CPU-ms (Workers`,
    `Standard). Default decode budget: ${e.default_budget_mib} MiB (\`FACEGATE_MAX_DECODED_BYTES\`).`,
    "",
    ...edgeTable(e),
    "",
  ];
}
