/**
 * A fuzz pass over the new formats: small HEIC (single and grid), WebP (lossy and lossless), AVIF
 * and GIF files made at test time, each mutated a few hundred times (bit flips, bytes set to edge
 * values, truncation, cut or repeated ranges; seeded, so a failure reproduces) and decoded.
 * Every outcome must be a raster or a FaceError whose problem status is 4xx (never a crash, a
 * wasm trap leaking out or another error, which the app would answer 500), and the process RSS
 * must stay bounded. `FACEGATE_FUZZ_N` sets the mutations per file (default 500: 3,000 decodes).
 */
import assert from "node:assert/strict";
import { FaceError } from "../../../lib/errors.ts";
import { decodeImage } from "../../../lib/image/mod.ts";
import { PROBLEMS } from "../../../functions/problem.ts";
import { dataDir } from "../../_data.ts";
import { convertPhoto, fixtureDir, formatTools, type Target } from "./_format_fixtures.ts";

const N = Number(Deno.env.get("FACEGATE_FUZZ_N") ?? 500);
const missing = await formatTools();
const ignore = missing.length > 0;
const MIB = 1024 * 1024;

/** Mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutation of `bytes`; the header region (first 600 bytes) is hit more often. */
function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const at = () => Math.floor((rand() < 0.6 ? Math.min(600, bytes.length) : bytes.length) * rand());
  const kind = Math.floor(rand() * 5);
  if (kind === 0) {
    const out = bytes.slice();
    for (let k = 1 + Math.floor(rand() * 8); k > 0; k--) out[at()] ^= 1 << Math.floor(rand() * 8);
    return out;
  }
  if (kind === 1) {
    const out = bytes.slice();
    const edge = [0, 0xff, 0x7f, 0x80, 0x01, 0xfe];
    for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) {
      out[at()] = edge[Math.floor(rand() * edge.length)];
    }
    return out;
  }
  if (kind === 2) return bytes.slice(0, at());
  const a = at();
  const b = Math.min(bytes.length, a + 1 + Math.floor(rand() * 64));
  if (kind === 3) return new Uint8Array([...bytes.subarray(0, a), ...bytes.subarray(b)]);
  return new Uint8Array([...bytes.subarray(0, b), ...bytes.subarray(a, b), ...bytes.subarray(b)]);
}

const TARGETS: Target[] = ["heic", "heic-grid", "webp", "webp-lossless", "avif", "gif"];

Deno.test({
  name:
    `decodeImage() answers ${N} mutations of each new format with a raster or a 4xx FaceError, RSS bounded`,
  ignore,
  async fn() {
    const dir = await fixtureDir();
    const src = `${dataDir()}/faces/Serena_Williams/Serena_Williams_0001.jpg`;
    const counts: Record<string, Record<string, number>> = {};
    const failures: string[] = [];
    const start = Deno.memoryUsage().rss;
    let peak = start;
    const t0 = performance.now();
    try {
      for (const [i, target] of TARGETS.entries()) {
        const bytes = await convertPhoto(dir, src, target, "160x160");
        const rand = prng(1000 + i);
        const count: Record<string, number> = {};
        counts[target] = count;
        for (let n = 0; n < N; n++) {
          const input = mutate(bytes, rand);
          let outcome: string;
          try {
            const r = await decodeImage(input);
            outcome = r.data.length === r.width * r.height * 4 ? "decoded" : "bad raster";
          } catch (err) {
            outcome = err instanceof FaceError ? err.code : `crash: ${err}`;
            if (err instanceof FaceError && !(PROBLEMS[err.code].status < 500)) {
              outcome = `5xx: ${err.code}`;
            }
          }
          count[outcome] = (count[outcome] ?? 0) + 1;
          if (!/^(decoded|invalid_image|image_too_large|unsupported_media_type)$/.test(outcome)) {
            failures.push(`${target} #${n} (seed ${1000 + i}): ${outcome.slice(0, 300)}`);
          }
          if (n % 50 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    peak = Math.max(peak, Deno.memoryUsage().rss);
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({
      mutations: N * TARGETS.length,
      seconds: Number(seconds.toFixed(1)),
      rss_start_mib: Math.round(start / MIB),
      rss_peak_mib: Math.round(peak / MIB),
      counts,
    }));
    assert.deepEqual(failures.slice(0, 10), []);
    // One decode may use 48 MiB; dead codec instances wait for the GC: allow a few at once.
    assert.ok(peak - start < 400 * MIB, `RSS grew by ${(peak - start) / MIB} MiB`);
  },
});
