/**
 * The README's format table: for each accepted format, a dev photo converted at 640×480 (its
 * upright 480×640) and upscaled to 12 MP (4000×3000) and 48 MP (8000×6000): what the default
 * decode budget does with it (decoded, at which scale, or 413), the decode time (median of 3, a
 * fresh codec instance each time, as in service), the memory model's estimate and the measured
 * peak (the codec's linear memory after the decode plus the RGBA result), and at 640×480 the
 * embedding distance to the JPEG original. Prints one JSON object.
 *
 * `deno run -A bench/formats.ts [--dir DIR]`: DIR (default a temporary one) keeps the converted
 * files between runs (the 48 MP grid HEIC takes ~70 s of heif-enc). Needs Debian's
 * imagemagick, libheif-examples, webp and libavif-bin.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { decodeImage, DEFAULT_MAX_DECODED_BYTES } from "../lib/image/mod.ts";
import { FaceError } from "../lib/errors.ts";
import {
  avifDecodeBytes,
  gifDecodeBytes,
  heicDecodeBytes,
  planHeicDecode,
  webpDecodeBytes,
} from "../lib/image/_decode_cost_formats.ts";
import { decodeAvifWasm, decodeHeifWasm, decodeWebpWasm } from "../lib/image/_emscripten_codecs.ts";
import { readHeifHeader } from "../lib/image/_heif_header.ts";
import { readWebpHeader } from "../lib/image/_webp.ts";
import { loadImageCodec } from "../lib/image/set_image_codecs.ts";
import { analyzeImage } from "../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { convertPhoto, type Target } from "../tests/lib/image/_format_fixtures.ts";

const { values } = parseArgs({ args: Deno.args, options: { dir: { type: "string" } } });
const dir = values.dir ?? await Deno.makeTempDir({ prefix: "facegate_bench_formats_" });
await Deno.mkdir(dir, { recursive: true });
const data = Deno.env.get("FACEGATE_DATA") ?? "../shared/data";
const SRC = `${data}/faces-misc/pose_insightface_image_T1.jpeg`;
const MIB = 1024 * 1024;
const SIZES: [string, string | undefined][] = [["640x480", undefined], ["12MP", "4000x3000"], [
  "48MP",
  "8000x6000",
]];
const TARGETS: Target[] = ["heic", "heic-grid", "webp", "avif", "gif"];

async function fixture(target: Target, size: string | undefined): Promise<Uint8Array> {
  const path = `${dir}/${target}_${size ?? "orig"}`;
  try {
    return await Deno.readFile(path);
  } catch {
    const bytes = await convertPhoto(dir, SRC, target, size);
    await Deno.writeFile(path, bytes);
    return bytes;
  }
}

/** The measured peak: codec linear memory after the decode plus the RGBA result. */
async function measured(bytes: Uint8Array, target: Target, scale: number): Promise<number> {
  if (target.startsWith("heic")) {
    const f = await decodeHeifWasm(await loadImageCodec("heif"), bytes, scale);
    return f.wasmBytes + f.data.length;
  }
  if (target === "webp") {
    const f = await decodeWebpWasm(await loadImageCodec("webp"), readWebpHeader(bytes).still);
    return f.wasmBytes + f.data.length;
  }
  if (target === "avif") {
    const f = await decodeAvifWasm(await loadImageCodec("avif"), bytes);
    return f.wasmBytes + f.data.length;
  }
  const w = bytes[6] | (bytes[7] << 8), h = bytes[8] | (bytes[9] << 8);
  return 5 * w * h; // indices + RGBA on the JS heap
}

function estimate(bytes: Uint8Array, target: Target, scale: number): number {
  if (target.startsWith("heic")) {
    return heicDecodeBytes(readHeifHeader(bytes), bytes.length, scale, false);
  }
  if (target === "webp") return webpDecodeBytes(readWebpHeader(bytes), bytes.length, false);
  if (target === "avif") return avifDecodeBytes(readHeifHeader(bytes), bytes.length, false);
  return gifDecodeBytes(bytes[6] | (bytes[7] << 8), bytes[8] | (bytes[9] << 8));
}

const sessions = new SessionCache(fileModelLoader());
async function embedding(bytes: Uint8Array): Promise<Float32Array> {
  const r = await analyzeImage({ sessions }, bytes, { select: "largest", requireFace: true });
  return r.faces[0].embedding!;
}
const jpegEmbedding = await embedding(await Deno.readFile(SRC));

const rows: Record<string, unknown>[] = [];
for (const target of TARGETS) {
  for (const [label, size] of SIZES) {
    const bytes = await fixture(target, size);
    const row: Record<string, unknown> = { format: target, size: label, bytes: bytes.length };
    const times: number[] = [];
    let outcome = "";
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      try {
        const r = await decodeImage(bytes);
        outcome = `${r.width}x${r.height}`;
      } catch (err) {
        if (!(err instanceof FaceError)) throw err;
        outcome = `${err.code}: ${err.message}`;
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    row.default_budget = outcome;
    row.decode_ms = Math.round(times[1] * 10) / 10;
    // The scale the default budget picks (HEIC), else full size; over budget: what it would need.
    const scale = target.startsWith("heic")
      ? planHeicDecode(readHeifHeader(bytes), bytes.length, 0, DEFAULT_MAX_DECODED_BYTES, false)
        .scale ?? 1
      : 1;
    row.scale = scale;
    row.estimate_mib = Math.round(estimate(bytes, target, scale) / MIB * 10) / 10;
    try {
      row.measured_mib = Math.round(await measured(bytes, target, scale) / MIB * 10) / 10;
    } catch (err) {
      row.measured_mib = `fails: ${(err as Error).message}`;
    }
    if (!size) {
      const e = await embedding(bytes);
      let s = 0;
      for (let i = 0; i < e.length; i++) s += (e[i] - jpegEmbedding[i]) ** 2;
      row.distance_to_jpeg = Math.round(Math.sqrt(s) * 1e4) / 1e4;
    }
    console.error(JSON.stringify(row));
    rows.push(row);
  }
}
console.log(JSON.stringify({ source: SRC.split("/").slice(-2).join("/"), rows }, null, 1));
