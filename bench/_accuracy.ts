/**
 * The accuracy benchmark: `evaluatePairs` from `bench/eval.ts` on the dev LFW pairs, plus the ROC
 * points (distance threshold sweep) for the plot.
 *
 * @module
 */
import { evaluatePairs, parsePairs } from "./eval.ts";
import { dataDir } from "./_data.ts";
import { l2Distance, rocCurve } from "../lib/match/mod.ts";
import { embedDataset } from "./_embed_dataset.ts";
import type { EvalReport } from "./eval.ts";

/** Options for {@linkcode runAccuracy}. */
export interface AccuracyOptions {
  /** First `limit` pairs of `faces/pairs.csv`. Default: 600 (the dev split). */
  limit?: number;
}

/** The accuracy section of the report. */
export interface AccuracyReport {
  eval: EvalReport;
  /** ROC of the same pairs from the cached dev-set embeddings: `[FAR, TAR]` points. */
  roc: [number, number][];
}

/** Runs the dev-set evaluation and computes the ROC. */
export async function runAccuracy(options: AccuracyOptions = {}): Promise<AccuracyReport> {
  const root = `${dataDir()}/faces`;
  const pairs = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`)).slice(
    0,
    options.limit ?? 600,
  );
  const report = await evaluatePairs(root, pairs);
  const emb = new Map((await embedDataset()).map((r) => [r.path, r.embedding]));
  const d: number[] = [], same: boolean[] = [];
  for (const p of pairs) {
    const a = emb.get(p.a), b = emb.get(p.b);
    if (!a || !b) continue;
    d.push(l2Distance(a, b));
    same.push(p.same);
  }
  const roc = rocCurve(d, same).map((pt) => [pt.far, pt.tar] as [number, number]);
  return { eval: report, roc };
}
