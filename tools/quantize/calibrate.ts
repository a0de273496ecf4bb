/**
 * Calibration for the int8 embedder: runs the fp32 model on aligned dev faces with every
 * activation that quantization needs exposed as an output, and records each tensor's range.
 * Writes `tools/quantize/<model file>.calibration.json`, which is committed so a fresh machine
 * reproduces the int8 model without the data set (`deno task models`).
 *
 * Usage: `FACEGATE_DATA=… deno run -A tools/quantize/calibrate.ts [--faces 200]`
 *
 * The faces are the first `--faces` distinct images of the dev LFW pairs (rows 0–599 of
 * `faces/pairs.csv`): primary face, two-pass landmarks, aligned as the pipeline does, each used
 * plain and mirrored.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-web";
import { analyzeImage } from "../../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../../lib/onnx/mod.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import { fetchModels } from "../../models/fetch_models.ts";
import { decodeModel, encodeModel, type Proto } from "./_onnx.ts";
import { activationTensors, type CalibrationStats } from "./quantize_model.ts";

/** Where the committed statistics of a model file live. */
export function calibrationFile(file: string): URL {
  return new URL(`./${file.replace(/\.onnx$/, "")}.calibration.json`, import.meta.url);
}

/** The fp32 model with the activation tensors as extra outputs. */
function tapModel(bytes: Uint8Array, names: string[]): Uint8Array {
  const m = decodeModel(bytes);
  const outputs = new Set(m.graph.output.map((o: Proto) => o.name));
  for (const name of names) {
    if (outputs.has(name)) continue;
    m.graph.output.push({ name, type: { tensorType: { elemType: 1 } } });
  }
  return encodeModel(m);
}

const mirror = (t: Float32Array, size = 112): Float32Array => {
  const out = new Float32Array(t.length);
  for (let row = 0; row < t.length; row += size) {
    for (let x = 0; x < size; x++) out[row + x] = t[row + size - 1 - x];
  }
  return out;
};

/** Measures the activation ranges of the committed fp32 embedder on `faces` dev images. */
export async function calibrateEmbedder(dataDir: string, faces: number): Promise<CalibrationStats> {
  await fetchModels();
  const entry = MODEL_MANIFEST.embedder;
  const bytes = await Deno.readFile(new URL(`../../models/${entry.file}`, import.meta.url));
  const names = activationTensors(decodeModel(bytes));
  const session = await ort.InferenceSession.create(tapModel(bytes, names), {
    executionProviders: ["wasm"],
  });
  const root = `${dataDir}/faces`;
  const rows = (await Deno.readTextFile(`${root}/pairs.csv`)).trim().split("\n").slice(1, 601);
  const images = [...new Set(rows.flatMap((r) => r.split(",").slice(0, 2)))].slice(0, faces);
  const sessions = new SessionCache(fileModelLoader());
  const ranges: Record<string, [number, number]> = {};
  for (const n of names) ranges[n] = [Infinity, -Infinity];
  let used = 0;
  for (const [i, path] of images.entries()) {
    const aligned: Float32Array[] = [];
    await analyzeImage({ sessions }, await Deno.readFile(`${root}/${path}`), {
      select: "primary",
      embed: false,
      onAligned: (a) => aligned.push(a),
    });
    if (!aligned.length) continue;
    used++;
    for (const t of [aligned[0], mirror(aligned[0])]) {
      const out = await session.run({
        [entry.input.name]: new ort.Tensor("float32", t, [1, 3, 112, 112]),
      });
      for (const n of names) {
        const d = out[n].data as Float32Array;
        const r = ranges[n];
        for (let j = 0; j < d.length; j++) {
          if (d[j] < r[0]) r[0] = d[j];
          if (d[j] > r[1]) r[1] = d[j];
        }
      }
    }
    Deno.stderr.writeSync(new TextEncoder().encode(`\rcalibrated ${i + 1}/${images.length}`));
  }
  console.error("");
  return {
    model: entry.id,
    source_sha256: entry.sha256,
    method:
      `min/max over ${used} dev LFW faces (first ${faces} distinct images of pairs.csv rows 0–599, primary face, two-pass landmarks), each plain and mirrored`,
    ranges,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { faces: { type: "string", default: "200" } },
  });
  const dir = Deno.env.get("FACEGATE_DATA") ?? "../shared/data";
  const stats = await calibrateEmbedder(dir, Number(values.faces));
  for (const r of Object.values(stats.ranges)) {
    r.forEach((v, i) => (r[i] = Number(v.toPrecision(6))));
  }
  const file = calibrationFile(MODEL_MANIFEST.embedder.file);
  await Deno.writeTextFile(file, JSON.stringify(stats, null, 1) + "\n");
  console.log(`wrote ${file.pathname} (${Object.keys(stats.ranges).length} tensors)`);
}
