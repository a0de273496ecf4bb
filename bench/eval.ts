/**
 * Evaluation CLI: embeds every image of a pairs file once and reports LFW-style verification
 * accuracy, AUC, TAR at fixed FAR, detection failures, speed and the mean FaceNet triplet loss.
 *
 * Usage: `deno task eval --root DIR --pairs FILE [--limit N] [--offset N] [--recipe ID | --flip |
 * --no-flip] [--json-embeddings]` (default: the recipe new collections get).
 * `pairs.csv` has the header `a,b,same` with paths relative to `--root`. One JSON object goes to
 * stdout; progress goes to stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { analyzeImage } from "../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { defaultRecipe, embedderRecipes, MODEL_MANIFEST } from "../models/manifest.ts";
import { fetchModels } from "../models/fetch_models.ts";
import {
  batchTripletLoss,
  bestThreshold,
  kFoldAccuracy,
  l2Distance,
  rocAuc,
  thresholdAtFar,
} from "../lib/match/mod.ts";
import { isFaceError } from "../lib/errors.ts";

/** One row of a pairs file. */
export interface Pair {
  a: string;
  b: string;
  same: boolean;
}

/** Parses a `a,b,same` CSV (header required, no quoting needed for paths without commas). */
export function parsePairs(text: string): Pair[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines.shift()?.split(",").map((h) => h.trim());
  if (!header || header[0] !== "a" || header[1] !== "b" || header[2] !== "same") {
    throw new Error(`Cannot read pairs: expected header "a,b,same", got "${header?.join(",")}"`);
  }
  return lines.map((line, i) => {
    const [a, b, same] = line.split(",").map((s) => s.trim());
    if (!a || !b || (same !== "0" && same !== "1")) {
      throw new Error(`Cannot read pairs: bad row ${i + 2}: "${line}"`);
    }
    return { a, b, same: same === "1" };
  });
}

/** The report printed by the CLI. */
export interface EvalReport {
  pairs: number;
  accuracy: number;
  accuracy_std: number;
  threshold: number;
  auc: number;
  tar_at_far: Record<string, number>;
  thresholds_at_far: Record<string, number>;
  /** Smallest measurable FAR (1 / different-person pairs); rates below it are extrapolated. */
  far_resolution: number;
  no_face: number;
  no_face_images: string[];
  ms_per_image: number;
  flip: boolean;
  triplet_loss: { margin: number; mean: number; active: number; triplets: number };
  model: string;
  /** Accuracy at a threshold fixed beforehand (`EvaluatePairsOptions.threshold`), when given. */
  at_threshold?: { threshold: number; accuracy: number };
}

/**
 * Scores precomputed distances with `lib/match`'s {@linkcode kFoldAccuracy}: 600-row folds (LFW)
 * when there are at least two of them, trailing rows joining the last; otherwise 10 contiguous
 * folds. `NaN` (a face missing in the pair) is always an error: it scores as distance 0 for a
 * different-person pair and 4 (beyond any unit-vector distance) for a same-person pair.
 */
export function scorePairs(distances: number[], same: boolean[]) {
  const scored = distances.map((d, i) => Number.isNaN(d) ? (same[i] ? 4 : 0) : d);
  const k = kFoldAccuracy(scored, same, distances.length >= 1200 ? { foldSize: 600 } : {});
  const validD = distances.filter((d) => !Number.isNaN(d));
  const validS = same.filter((_, i) => !Number.isNaN(distances[i]));
  return { accuracy: k.accuracy, std: k.std, foldAccuracies: k.foldAccuracies, validD, validS };
}

/** Options for {@linkcode evaluatePairs}. */
export interface EvaluatePairsOptions {
  /** Flip test-time augmentation. Default: true. */
  flip?: boolean;
  /** Triplet-loss margin α. Default: 0.2. */
  margin?: number;
  /** Model sessions. Default: a new cache reading `models/`. */
  sessions?: SessionCache;
  /**
   * Which face of a photo with several is the subject's: `"primary"` (largest area weighted by
   * closeness to the centre), `"center"` or `"largest"`. Default: `"primary"`.
   */
  face?: "primary" | "center" | "largest";
  /**
   * A threshold fixed beforehand (e.g. the manifest's calibrated `verify`): the report then also
   * gives the accuracy at it (`at_threshold`), an out-of-sample score on rows it was not chosen
   * on. A pair with a missing face counts as an error. Default: none.
   */
  threshold?: number;
  /** Progress callback (done, total). Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** Embeds each image of `pairs` once (the subject's face, see `face`) and scores the pairs. */
export async function evaluatePairs(
  root: string,
  pairs: Pair[],
  options: EvaluatePairsOptions = {},
): Promise<EvalReport> {
  const flip = options.flip ?? true;
  const sessions = options.sessions ?? new SessionCache(fileModelLoader());
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const embeddings = new Map<string, Float32Array | null>();
  const noFace: string[] = [];
  let ms = 0;
  for (const [i, path] of images.entries()) {
    const bytes = await Deno.readFile(`${root}/${path}`);
    const t = performance.now();
    try {
      const res = await analyzeImage({ sessions }, bytes, {
        select: options.face ?? "primary",
        flip,
      });
      const face = res.faces[0];
      embeddings.set(path, face?.embedding ?? null);
      if (!face) noFace.push(path);
    } catch (err) {
      if (!isFaceError(err)) throw err;
      embeddings.set(path, null);
      noFace.push(path);
    }
    ms += performance.now() - t;
    options.onProgress?.(i + 1, images.length);
  }

  const distances = pairs.map((p) => {
    const a = embeddings.get(p.a), b = embeddings.get(p.b);
    return a && b ? l2Distance(a, b) : NaN;
  });
  const same = pairs.map((p) => p.same);
  const scored = scorePairs(distances, same);
  const tar: Record<string, number> = {}, thr: Record<string, number> = {};
  for (const far of ["1e-2", "1e-3"]) {
    const r = thresholdAtFar(scored.validD, scored.validS, Number(far));
    tar[far] = round(r.tar, 4);
    thr[far] = round(r.threshold, 4);
  }

  // Triplets: each same pair (a, p) with a negative drawn from the different-person pairs, cycling
  // deterministically so every negative image is used.
  const negatives = pairs.filter((p) => !p.same).flatMap((p) => [p.b, p.a])
    .map((n) => embeddings.get(n)).filter((e): e is Float32Array => !!e);
  const A: Float32Array[] = [], P: Float32Array[] = [], N: Float32Array[] = [];
  let k = 0;
  for (const p of pairs.filter((p) => p.same)) {
    const a = embeddings.get(p.a), b = embeddings.get(p.b);
    if (!a || !b || negatives.length === 0) continue;
    A.push(a);
    P.push(b);
    N.push(negatives[k++ % negatives.length]);
  }
  const margin = options.margin ?? 0.2;
  const triplet = A.length ? batchTripletLoss(A, P, N, { margin }) : { mean: NaN, active: 0 };

  return {
    pairs: pairs.length,
    accuracy: round(scored.accuracy, 4),
    accuracy_std: round(scored.std, 4),
    threshold: round(bestThreshold(scored.validD, scored.validS).threshold, 4),
    auc: round(rocAuc(scored.validD, scored.validS), 5),
    tar_at_far: tar,
    thresholds_at_far: thr,
    far_resolution: round(1 / Math.max(1, scored.validS.filter((x) => !x).length), 6),
    no_face: noFace.length,
    no_face_images: noFace,
    ms_per_image: round(ms / images.length, 1),
    flip,
    triplet_loss: {
      margin,
      mean: round(triplet.mean, 4),
      active: triplet.active,
      triplets: A.length,
    },
    // The recipe these embeddings belong to: the weights' id alone would hide the flip setting.
    model:
      embedderRecipes(MODEL_MANIFEST).find((r) =>
        r.flip === flip && r.embedder === MODEL_MANIFEST.embedder.id
      )?.id ?? MODEL_MANIFEST.embedder.id,
    ...(options.threshold === undefined ? {} : {
      at_threshold: {
        threshold: options.threshold,
        accuracy: round(
          distances.filter((d, i) => !Number.isNaN(d) && (d <= options.threshold!) === same[i])
            .length / pairs.length,
          4,
        ),
      },
    }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      root: { type: "string" },
      pairs: { type: "string" },
      limit: { type: "string" },
      offset: { type: "string" },
      recipe: { type: "string" },
      flip: { type: "boolean" },
      "no-flip": { type: "boolean", default: false },
      margin: { type: "string", default: "0.2" },
      face: { type: "string", default: "primary" },
    },
  });
  if (!values.root || !values.pairs) {
    console.error(
      "usage: deno task eval --root DIR --pairs FILE [--limit N] [--offset N] [--recipe ID | --flip | --no-flip] [--margin A] [--face primary|center|largest]",
    );
    Deno.exit(2);
  }
  let pairs = parsePairs(await Deno.readTextFile(values.pairs)).slice(Number(values.offset ?? 0));
  if (values.limit) pairs = pairs.slice(0, Number(values.limit));
  await fetchModels();
  const encoder = new TextEncoder();
  // The default recipe (what new collections get) unless a recipe or a flip setting is named.
  const recipes = embedderRecipes(MODEL_MANIFEST);
  const recipe = values.recipe !== undefined
    ? recipes.find((r) => r.id === values.recipe)
    : values["no-flip"]
    ? recipes.find((r) => !r.flip)
    : values.flip
    ? recipes.find((r) => r.flip)
    : defaultRecipe(MODEL_MANIFEST);
  if (!recipe) {
    console.error(
      `unknown recipe: ${values.recipe} (known: ${recipes.map((r) => r.id).join(", ")})`,
    );
    Deno.exit(2);
  }
  const report = await evaluatePairs(values.root.replace(/\/$/, ""), pairs, {
    flip: recipe.flip,
    margin: Number(values.margin),
    face: values.face === "largest" || values.face === "center" ? values.face : "primary",
    onProgress: (done, total) => {
      if (done % 25 === 0 || done === total) {
        Deno.stderr.writeSync(encoder.encode(`\rembedded ${done}/${total}`));
      }
    },
  });
  console.error("");
  console.log(JSON.stringify(report, null, 2));
}

function round(v: number, d: number): number {
  return Math.round(v * 10 ** d) / 10 ** d;
}

if (import.meta.main) await main();
