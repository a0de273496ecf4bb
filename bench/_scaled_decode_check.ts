/**
 * Does scaled JPEG decoding (analyzeImage's `workingSize`) change any decision? Embeds the large
 * raw photos of `faces/{Guido_van_Rossum,Paul_Allen,Steve_Wozniak}` and the speed images with
 * scaled decoding on (default) and off (`workingSize: 0`), and compares every pair's verify
 * decision at the manifest threshold.
 *
 * @module
 */
import { analyzeImage } from "../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { l2Distance } from "../lib/match/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { dataDir } from "./_data.ts";
import { round } from "./_stats.ts";

/** The result of {@linkcode scaledDecodeCheck}. */
export interface ScaledDecodeCheck {
  images: number;
  /** Images whose longer side is ≥ 1920 px (the ones decoded scaled). */
  reduced: number;
  pairs: number;
  threshold: number;
  decision_flips: number;
  accuracy_full: number;
  accuracy_scaled: number;
  max_pair_distance_change: number;
  max_embedding_distance: number;
}

/** Runs the check; see the module doc. */
export async function scaledDecodeCheck(): Promise<ScaledDecodeCheck> {
  const root = `${dataDir()}/faces`;
  const files: string[] = [];
  for (const id of ["Guido_van_Rossum", "Paul_Allen", "Steve_Wozniak"]) {
    for (const e of Deno.readDirSync(`${root}/${id}`)) {
      if (e.name.endsWith(".jpg")) files.push(`${id}/${e.name}`);
    }
  }
  files.sort();
  const sessions = new SessionCache(fileModelLoader());
  const full: Float32Array[] = [], scaled: Float32Array[] = [];
  let reduced = 0;
  for (const f of files) {
    const bytes = await Deno.readFile(`${root}/${f}`);
    const a = await analyzeImage({ sessions }, bytes, { select: "largest", workingSize: 0 });
    const b = await analyzeImage({ sessions }, bytes, { select: "largest" });
    if (Math.max(a.width, a.height) >= 1920) reduced++;
    full.push(a.faces[0].embedding!);
    scaled.push(b.faces[0].embedding!);
  }
  const thr = MODEL_MANIFEST.embedder.thresholds.verify ?? 1.15;
  let flips = 0, okF = 0, okS = 0, n = 0, maxPair = 0, maxSelf = 0;
  for (let i = 0; i < files.length; i++) {
    maxSelf = Math.max(maxSelf, l2Distance(full[i], scaled[i]));
    for (let j = i + 1; j < files.length; j++) {
      const same = files[i].split("/")[0] === files[j].split("/")[0];
      const df = l2Distance(full[i], full[j]), ds = l2Distance(scaled[i], scaled[j]);
      maxPair = Math.max(maxPair, Math.abs(df - ds));
      if ((df <= thr) !== (ds <= thr)) flips++;
      if ((df <= thr) === same) okF++;
      if ((ds <= thr) === same) okS++;
      n++;
    }
  }
  return {
    images: files.length,
    reduced,
    pairs: n,
    threshold: thr,
    decision_flips: flips,
    accuracy_full: round(okF / n, 4),
    accuracy_scaled: round(okS / n, 4),
    max_pair_distance_change: round(maxPair, 4),
    max_embedding_distance: round(maxSelf, 4),
  };
}
