/**
 * Writes the int8 QDQ embedder (`models/fr_feature.int8.onnx`) from the fp32 model of the npm
 * package and the committed calibration statistics, and checks it against the pinned sha256: a
 * fresh machine reproduces the same bytes without the data set.
 *
 * Usage: `deno run -A tools/quantize/main.ts` (after `deno task models`). To re-calibrate (needs
 * the data set): `deno run -A tools/quantize/calibrate.ts`, then update {@linkcode INT8_SHA256}.
 *
 * @module
 */
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import { fetchModels } from "../../models/fetch_models.ts";
import { calibrationFile } from "./calibrate.ts";
import { type CalibrationStats, quantizeModel } from "./quantize_model.ts";

/** sha256 of the int8 embedder built from the committed statistics (dynamic batch). */
export const INT8_SHA256 = "5c57557c7957868694d5fb6c8da2afa4cbc1634ff55a4afd0905d0338405e231";

/** File name of the int8 embedder in `models/`. */
export const INT8_FILE = "fr_feature.int8.onnx";

/** sha256 of `bytes` as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds the int8 embedder from the fp32 file and the committed statistics. */
export async function buildInt8Embedder(): Promise<Uint8Array> {
  const entry = MODEL_MANIFEST.embedder;
  const fp32 = await Deno.readFile(new URL(`../../models/${entry.file}`, import.meta.url));
  const stats: CalibrationStats = JSON.parse(
    await Deno.readTextFile(calibrationFile(entry.file)),
  );
  if (stats.source_sha256 !== entry.sha256) {
    throw new Error(
      `Cannot quantize: the calibration statistics belong to ${stats.source_sha256}, not ${entry.sha256}`,
    );
  }
  return quantizeModel(fp32, stats, { dynamicBatch: true });
}

if (import.meta.main) {
  await fetchModels();
  const bytes = await buildInt8Embedder();
  const sha = await sha256Hex(bytes);
  const out = new URL(`../../models/${INT8_FILE}`, import.meta.url);
  await Deno.writeFile(out, bytes);
  console.log(JSON.stringify({ file: out.pathname, bytes: bytes.length, sha256: sha }));
  if (INT8_SHA256 && sha !== INT8_SHA256) {
    console.error(`sha256 ${sha} differs from the pinned ${INT8_SHA256}`);
    Deno.exit(1);
  }
}
