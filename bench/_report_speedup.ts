/**
 * BENCHMARKS.md sections for issue 15's changes: the paired recipe comparison (flip averaging, the
 * second landmark pass, int8), the before/after speed of each change, and the onnxruntime-web
 * kernel throughput that bounds the speed.
 *
 * @module
 */
import type { RecipesReport } from "./_recipes.ts";
import type { SpeedReport } from "./_speed.ts";
import { round } from "./_stats.ts";

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join(
    "\n",
  );
}

const pct = (v: number) => `${round(v * 100, 2)}%`;
const signed = (v: number) => `${v > 0 ? "+" : ""}${round(v * 100, 2)}`;

/** The recipes section: every recipe against the baseline on every labelled set. */
export function recipesMarkdown(rec: RecipesReport & { measured_at: string }): string[] {
  const rows: (string | number)[][] = [];
  for (const r of rec.recipes) {
    for (const s of r.subsets) {
      const p = s.paired;
      rows.push([
        r.name,
        s.subset,
        s.pairs,
        pct(s.accuracy),
        p ? `${signed(p.difference)} [${signed(p.ci95[0])}, ${signed(p.ci95[1])}]` : "–",
        p
          ? `${p.both_right} / ${p.both_wrong} / ${p.only_baseline_right} / ${p.only_recipe_right}`
          : "–",
        p ? p.mcnemar_p : "–",
        `${s.tar_at_far_1e3} (${s.genuine_pairs.toLocaleString("en")} / ${
          s.impostor_pairs.toLocaleString("en")
        })`,
        !p
          ? "–"
          : p.tar_ci95[0] === null || Number.isNaN(p.tar_ci95[0])
          ? `${signed(p.tar_difference)} (too few people)`
          : `${signed(p.tar_difference)} [${signed(p.tar_ci95[0])}, ${signed(p.tar_ci95[1])}]`,
        s.no_face,
      ]);
    }
  }
  return [
    "## Recipes: flip averaging, the second landmark pass, int8 (paired comparison)",
    "",
    `Measured ${rec.measured_at} by \`deno task bench recipes\` (bench/_recipes.ts). Every image of`,
    "faces/pairs.csv is detected once (primary face) and aligned twice (one and two landmark passes); each",
    "alignment is embedded plain and mirrored, so the recipes below differ only in what they compare. Dev LFW",
    "rows 0–599 are judged with 10-fold thresholds (as bench/eval.ts); the out-of-sample web-photo and ORL rows",
    "at the best-accuracy threshold each recipe learns on all dev rows. Δ is the recipe's accuracy minus the",
    `baseline's (\`${rec.baseline}\`) in percentage points with a paired bootstrap 95% interval (2,000`,
    "resamples of the pairs); the counts are pairs both get right / both get wrong / only the baseline / only",
    "the recipe gets right; McNemar is the exact two-sided test on the discordant pairs. TAR at FAR 1e-3 is over",
    "all image pairs of the subset (genuine = same identity), with the pair counts behind it (one genuine",
    "pair moves TAR by 1 / genuine); ΔTAR's interval is a paired bootstrap over identities (2,000 resamples",
    "of the people, each pair weighted by how often its people were drawn).",
    "",
    table(
      [
        "recipe",
        "subset",
        "pairs",
        "accuracy",
        "Δ pp [95% CI]",
        "both ✓ / both ✗ / base only ✓ / recipe only ✓",
        "McNemar p",
        "TAR@FAR1e-3 (genuine / impostor pairs)",
        "ΔTAR pp [95% CI]",
        "no face",
      ],
      rows,
    ),
    "",
    table(
      [
        "recipe",
        "model",
        "flip",
        "second landmark pass",
        "passes / face",
        "within noise",
        "TAR not lower",
      ],
      rec.recipes.map((r) => [
        r.name,
        r.model,
        r.flip ? "yes" : "no",
        r.refine,
        r.landmark_passes,
        r.name === rec.baseline ? "baseline" : r.within_noise ? "yes" : "**no**",
        r.name === rec.baseline ? "baseline" : r.tar_within_noise ? "yes" : "**no**",
        r.name === rec.baseline ? "baseline" : r.tar_not_lower ? "yes" : "no",
      ]),
    ),
    "",
  ];
}

/** Before/after of the recipe changes, per image, from the speed run. */
export function recipeSpeedMarkdown(sp: SpeedReport): string[] {
  const fg = sp.engines["facegate-t1"], fa = sp.engines["faceapi-t1"];
  if (!fg?.per_image.some((s) => s.recipes)) return [];
  const rows: (string | number)[][] = [];
  for (const [i, s] of fg.per_image.entries()) {
    if (!s.recipes) continue;
    const names = Object.keys(s.recipes);
    const before = s.recipes[names[0]];
    for (const name of names) {
      const r = s.recipes[name];
      rows.push([
        s.image,
        name,
        r.landmarks_p50,
        r.embed_p50,
        r.total_p50,
        r.cpu_p50,
        `${round(before.cpu_p50 / r.cpu_p50, 2)}×`,
        fa ? `${round(fa.per_image[i].total_p50 / r.total_p50, 1)}×` : "–",
      ]);
    }
  }
  return [
    "### 4. No flip averaging for new collections (recipe v2; lib/pipeline, models/manifest.json)",
    "",
    "Measured in the facegate-t1 processes of the speed run above: each warm iteration runs the pipeline once",
    "per recipe, back to back on the same image. CPU is the main thread's CPU time",
    "(`/proc/thread-self/schedstat`; with 1 ORT thread all model work runs there), less inflated by the other",
    "jobs on this machine than wall time. The face-api column divides face-api's pipeline p50 of the same run",
    "by the recipe's. The last row of each image is the single-landmark-pass variant, not adopted: it loses",
    "accuracy on ORL (see Recipes).",
    "",
    table(
      [
        "image",
        "recipe",
        "landmarks p50",
        "embed p50",
        "pipeline p50 (ms)",
        "CPU p50 (ms)",
        "CPU speed-up",
        "× face-api",
      ],
      rows,
    ),
    "",
  ];
}

/** Kernel and model throughput, and what it means for int8. */
export function kernelsMarkdown(sp: SpeedReport): string[] {
  const k = sp.kernels;
  if (!k) return [];
  const by = (model: string, batch = 1) =>
    k.models.find((m) => m.model === model && m.batch === batch);
  const f = by("embedder fp32"),
    q = by("embedder int8 QDQ"),
    f2 = by("embedder fp32, dynamic batch", 2);
  const lines = [
    "### onnxruntime-web kernels on this machine (1 thread, CPU time)",
    "",
    "One-node models of MobileFaceNet's shapes (bench/_kernels.ts): fp32 `Conv`, the int8 `QLinearConv`",
    "(uint8 activations, per-channel int8 weights) and the QDQ form onnxruntime fuses into it. GMAC/s from the",
    "thread's CPU time over 30 runs.",
    "",
    table(
      ["kernel", "operator", "CPU ms / run", "GMAC/s"],
      k.kernels.map((x) => [x.kernel, x.op, x.cpu_ms, x.gmac_per_s]),
    ),
    "",
    table(
      ["model", "batch", "MACs", "CPU ms / run", "GMAC/s"],
      k.models.map((m) => [m.model, m.batch, m.macs.toLocaleString("en"), m.cpu_ms, m.gmac_per_s]),
    ),
    "",
  ];
  if (f && q) {
    lines.push(
      `The int8 QDQ embedder (tools/quantize: static, per-channel weights, calibrated activation ranges) runs at`,
      `${q.gmac_per_s} GMAC/s against fp32's ${f.gmac_per_s} (${
        round(f.cpu_ms / q.cpu_ms, 2)
      }× the speed):`,
      "onnxruntime-web's WASM build has no int8 path that pays for this network — pointwise `QLinearConv` is at",
      "best ~1.3× fp32 SIMD `Conv` (and slower in its QDQ form), depthwise `QLinearConv` is ~3× slower, and the",
      "Q/DQ of the activations around PRelu and Add adds work — so the int8 model is not shipped (the tool, its",
      "committed calibration ranges and the pinned output hash stay, for a backend with int8 dot-product kernels).",
      f2
        ? `A batch of two faces (dynamic batch) costs ${f2.cpu_ms} ms against 2 × ${f.cpu_ms} ms: batching the flip pair does not pay either.`
        : "",
      "",
    );
  }
  return lines;
}
