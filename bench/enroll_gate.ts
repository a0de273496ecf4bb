/**
 * The enrolment gate on the dev faces and `faces-misc`: per image, whether `enroll` (face `single`
 * and face `largest`) accepts its face with the quality gate before the human-face checks (size,
 * sharpness, yaw, detector score) and with them (texture contrast; embedding norm with detector
 * score: see `qualityFailures`), and the features they use.
 *
 * `deno run -A bench/enroll_gate.ts [--root ../shared/data] [--limit N] [--features out.json]`
 * prints one JSON object: counts before/after, and every image whose outcome differs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import {
  type AnalyzedFace,
  analyzeImage,
  type FaceSelection,
  qualityFailures,
} from "../lib/pipeline/mod.ts";
import { FaceError } from "../lib/errors.ts";
import { defaultRecipe, MODEL_MANIFEST, recipeManifest } from "../models/manifest.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    root: { type: "string", default: Deno.env.get("FACEGATE_DATA") ?? "../shared/data" },
    limit: { type: "string" },
    features: { type: "string" },
  },
});
const root = values.root!;
const manifest = recipeManifest(MODEL_MANIFEST, defaultRecipe(MODEL_MANIFEST).id);
const deps = { sessions: new SessionCache(fileModelLoader()), manifest };

function csvPaths(file: string, prefix: string): string[] {
  const lines = Deno.readTextFileSync(file).trim().split("\n").slice(1);
  return lines.map((l) => prefix + l.split(",")[0]);
}
let images = [
  ...csvPaths(`${root}/faces/manifest.csv`, "faces/"),
  ...csvPaths(`${root}/faces-misc/index.csv`, "faces-misc/"),
];
if (values.limit) images = images.slice(0, Number(values.limit));

interface Outcome {
  /** "ok", or the refusal: an error code or "low_quality". */
  before: string;
  after: string;
  reasons?: string[];
}

function judge(face: AnalyzedFace | undefined, err?: string): Outcome {
  if (!face) return { before: err!, after: err! };
  const old = qualityFailures(face.quality, { maxTexture: Infinity, weakNorm: 0 });
  const now = qualityFailures(face.quality);
  return {
    before: old.length ? "low_quality" : "ok",
    after: now.length ? "low_quality" : "ok",
    ...(now.length > old.length ? { reasons: now.slice(old.length) } : {}),
  };
}

async function enrollOutcome(bytes: Uint8Array, select: FaceSelection) {
  try {
    const a = await analyzeImage(deps, bytes, { select, requireFace: true });
    return { face: a.faces[0], ...judge(a.faces[0]) };
  } catch (err) {
    if (err instanceof FaceError) return { face: undefined, ...judge(undefined, err.code) };
    throw err;
  }
}

const rows = [];
const counts = {
  single: { images: 0, before: 0, after: 0 },
  largest: { images: 0, before: 0, after: 0 },
};
const t0 = performance.now();
for (const [i, path] of images.entries()) {
  const bytes = await Deno.readFile(`${root}/${path}`);
  const single = await enrollOutcome(bytes, "single");
  const largest = single.face ? single : await enrollOutcome(bytes, "largest");
  const f = largest.face;
  const row = {
    path,
    single: { before: single.before, after: single.after },
    largest: { before: largest.before, after: largest.after, reasons: largest.reasons },
    ...(f
      ? {
        detector_score: f.quality.detector_score,
        norm: f.quality.embedding_norm,
        texture: f.quality.texture,
        pose: f.quality.pose,
        box: f.box,
        landmarks: f.landmarks,
      }
      : {}),
  };
  rows.push(row);
  if (path.startsWith("faces/")) {
    for (const k of ["single", "largest"] as const) {
      counts[k].images++;
      if (row[k].before === "ok") counts[k].before++;
      if (row[k].after === "ok") counts[k].after++;
    }
  }
  if (i % 100 === 0) {
    console.error(`${i}/${images.length} ${Math.round(performance.now() - t0)} ms`);
  }
}
if (values.features) await Deno.writeTextFile(values.features, JSON.stringify(rows));
const changed = rows.filter((r) =>
  r.single.before !== r.single.after || r.largest.before !== r.largest.after
).map((r) => ({
  path: r.path,
  single: r.single,
  largest: r.largest,
  norm: r.norm,
  texture: r.texture,
}));
const misc = rows.filter((r) => r.path.startsWith("faces-misc/")).map((r) => ({
  path: r.path,
  single: r.single.after,
  largest: r.largest.after,
  reasons: r.largest.reasons,
}));
console.log(JSON.stringify({ recipe: manifest.recipe, dev_faces: counts, changed, misc }, null, 2));
