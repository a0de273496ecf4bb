/**
 * The accuracy benchmark: `evaluatePairs` from `bench/eval.ts` for every embedder recipe, side by
 * side, on the dev LFW pairs (rows 0–599, 10-fold) and out of sample on rows 600–1393 (web photos
 * and ORL, never used for calibration) at the recipe's calibrated verify threshold; plus the ROC
 * points of the default recipe on the dev pairs for the plot.
 *
 * @module
 */
import { evaluatePairs, parsePairs } from "./eval.ts";
import { dataDir } from "./_data.ts";
import { l2Distance, rocCurve } from "../lib/match/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import {
  defaultRecipe,
  embedderRecipes,
  MODEL_MANIFEST,
  recipeManifest,
} from "../models/manifest.ts";
import { embedDataset } from "./_embed_dataset.ts";
import type { EvalReport } from "./eval.ts";

/** Options for {@linkcode runAccuracy}. */
export interface AccuracyOptions {
  /** First `limit` pairs of `faces/pairs.csv`. Default: 600 (the dev split). */
  limit?: number;
  /** Also score rows 600–1393 out of sample. Default: true. */
  outOfSample?: boolean;
}

/** One recipe on one subset. */
export interface RecipeAccuracy {
  recipe: string;
  flip: boolean;
  /** `"dev LFW (rows 0–599)"` or `"out of sample (rows 600–1393)"`. */
  subset: string;
  /** The recipe's calibrated verify threshold (from the manifest). */
  threshold: number;
  eval: EvalReport;
}

/** The accuracy section of the report. */
export interface AccuracyReport {
  /** The default recipe on the dev pairs. */
  eval: EvalReport;
  /** Every recipe on the dev pairs and out of sample. */
  recipes?: RecipeAccuracy[];
  /** ROC of the same pairs from the cached dev-set embeddings: `[FAR, TAR]` points. */
  roc: [number, number][];
}

/** Runs the evaluations and computes the ROC. */
export async function runAccuracy(options: AccuracyOptions = {}): Promise<AccuracyReport> {
  const root = `${dataDir()}/faces`;
  const all = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`));
  const dev = all.slice(0, options.limit ?? 600);
  const subsets: [string, typeof all][] = [["dev LFW (rows 0–599)", dev]];
  if (options.outOfSample ?? true) subsets.push(["out of sample (rows 600–1393)", all.slice(600)]);
  const sessions = new SessionCache(fileModelLoader());
  const recipes: RecipeAccuracy[] = [];
  for (const recipe of embedderRecipes()) {
    const threshold = recipeManifest(MODEL_MANIFEST, recipe.id).embedder.thresholds.verify!;
    for (const [subset, pairs] of subsets) {
      console.error(`accuracy: ${recipe.id} on ${subset}`);
      const report = await evaluatePairs(root, pairs, { flip: recipe.flip, threshold, sessions });
      recipes.push({ recipe: recipe.id, flip: recipe.flip, subset, threshold, eval: report });
    }
  }
  const preferred = defaultRecipe();
  const main = recipes.find((r) => r.recipe === preferred.id && r.subset === subsets[0][0])!;
  const emb = new Map(
    (await embedDataset({ flip: preferred.flip })).map((r) => [r.path, r.embedding]),
  );
  const d: number[] = [], same: boolean[] = [];
  for (const p of dev) {
    const a = emb.get(p.a), b = emb.get(p.b);
    if (!a || !b) continue;
    d.push(l2Distance(a, b));
    same.push(p.same);
  }
  const roc = rocCurve(d, same).map((pt) => [pt.far, pt.tar] as [number, number]);
  return { eval: main.eval, recipes, roc };
}
