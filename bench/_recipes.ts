/**
 * Paired accuracy comparison of pipeline recipes (flip averaging, landmark refinement, model
 * precision) on every labelled set: the dev LFW pairs (rows 0–599, 10-fold thresholds), and the
 * out-of-sample web-photo and ORL pairs (rows 600–1393, judged at the threshold each recipe learns
 * on the dev rows). For each recipe against the baseline: the pairs both get right / wrong, the
 * discordant counts, an exact McNemar p-value, a paired bootstrap 95% interval of the accuracy
 * difference, and TAR at FAR 1e-3 over all image pairs of the subset.
 *
 * @module
 */
import { analyzeImage } from "../lib/pipeline/mod.ts";
import type { LandmarkRefine } from "../lib/landmarks/landmarks.ts";
import { embedFace } from "../lib/embed/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { bestThreshold, l2Distance, thresholdAtFar } from "../lib/match/mod.ts";
import { isFaceError } from "../lib/errors.ts";
import type { EmbedderEntry } from "../models/manifest.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { dataDir } from "./_data.ts";
import { type Pair, parsePairs } from "./eval.ts";
import { buildInt8Embedder, INT8_FILE, sha256Hex } from "../tools/quantize/main.ts";
import { loadProjection, projectEmbedding, type Projection } from "../lib/embed/mod.ts";
import { projectionPool, projectionSplit } from "../tools/train_projection.ts";
import { pcaBasis } from "../tools/projection/train.ts";
import { prng } from "./_synthetic_gallery.ts";
import { embedderRecipes } from "../models/manifest.ts";

/** One pipeline recipe to compare. */
export interface Recipe {
  /** Short name used in the report. */
  name: string;
  /** Average the embeddings of the face and its mirror image. */
  flip: boolean;
  /** Second landmark pass: always, never, or when the first pass's shift exceeds `refineShift`. */
  refine: LandmarkRefine;
  /** Shift threshold for `refine: "auto"`. Default: 0.05. */
  refineShift?: number;
  /** Embedder model (detector and landmarks stay the committed ones). Default: the manifest's. */
  embedder?: EmbedderEntry;
  /** A linear map applied to the (flip-combined) unit embedding, then renormalised. Default: none. */
  projection?: Projection;
}

/** A recipe's result on one subset, compared with the baseline's on the same pairs. */
export interface RecipeSubsetResult {
  subset: string;
  pairs: number;
  accuracy: number;
  no_face: number;
  /** TAR at FAR 1e-3 over all image pairs of the subset (genuine = same identity). */
  tar_at_far_1e3: number;
  /** Impostor image pairs behind the TAR (FAR resolution = 1 / this). */
  impostor_pairs: number;
  /** Genuine image pairs behind the TAR (one pair = 1 / this of TAR). */
  genuine_pairs: number;
  /** Paired comparison with the baseline (absent for the baseline itself). */
  paired?: {
    both_right: number;
    both_wrong: number;
    only_baseline_right: number;
    only_recipe_right: number;
    /** Recipe accuracy − baseline accuracy. */
    difference: number;
    /** Paired bootstrap (2,000 resamples of the pairs) 95% interval of the difference. */
    ci95: [number, number];
    /** Exact two-sided McNemar (binomial on the discordant pairs). */
    mcnemar_p: number;
    /**
     * TAR at FAR 1e-3: recipe − baseline, and its 95% interval (bootstrap over identities; null
     * bounds when the subset has too few people).
     */
    tar_difference: number;
    tar_ci95: [number, number];
  };
}

/** The recipes section of the report. */
export interface RecipesReport {
  baseline: string;
  recipes: {
    name: string;
    flip: boolean;
    refine: string;
    model: string;
    /** Mean landmark-model runs per face. */
    landmark_passes: number;
    /** Whether every subset's 95% interval of the accuracy difference contains 0. */
    within_noise: boolean;
    /** Whether TAR at FAR 1e-3 is at least the baseline's on every subset. */
    tar_not_lower: boolean;
    /** Whether every subset's 95% interval of the TAR difference contains 0. */
    tar_within_noise: boolean;
    subsets: RecipeSubsetResult[];
  }[];
}

/** Per image: the landmark shift and four unit embeddings (one-pass / two-pass alignment, each plain and mirrored). */
interface ImageVectors {
  shift: number[];
  /** `images × 4 × dim`, NaN rows for images without a face. */
  vectors: Float32Array;
  dim: number;
}

const mirror = (t: Float32Array, size = 112): Float32Array => {
  const out = new Float32Array(t.length);
  for (let row = 0; row < t.length; row += size) {
    for (let x = 0; x < size; x++) out[row + x] = t[row + size - 1 - x];
  }
  return out;
};

/**
 * Aligns every image once with and once without the second landmark pass (committed detector and
 * landmark model, primary face) and embeds both alignments plain and mirrored with `embedder`;
 * cached on disk per embedder id.
 */
async function embedVariants(
  root: string,
  images: string[],
  embedder: EmbedderEntry,
): Promise<ImageVectors> {
  const dim = embedder.dim;
  const key = `${embedder.id}-${MODEL_MANIFEST.landmarks.id}-${MODEL_MANIFEST.detector.id}`
    .replace(/[^A-Za-z0-9.-]/g, "_");
  const cacheDir = new URL("./.cache/", import.meta.url);
  await Deno.mkdir(cacheDir, { recursive: true });
  const binFile = new URL(`recipes-${key}.bin`, cacheDir);
  const idxFile = new URL(`recipes-${key}.json`, cacheDir);
  try {
    const idx = JSON.parse(await Deno.readTextFile(idxFile));
    if (JSON.stringify(idx.images) === JSON.stringify(images)) {
      const bytes = await Deno.readFile(binFile);
      return { shift: idx.shift, vectors: new Float32Array(bytes.buffer), dim };
    }
  } catch { /* first run */ }
  const sessions = new SessionCache(fileModelLoader());
  const manifest = { ...MODEL_MANIFEST, embedder };
  const session = await sessions.get(embedder);
  const vectors = new Float32Array(images.length * 4 * dim).fill(NaN);
  const shift: number[] = [];
  for (const [i, path] of images.entries()) {
    const bytes = await Deno.readFile(`${root}/${path}`);
    const aligned: Float32Array[] = [];
    let sh = NaN;
    for (const refine of [false, true]) {
      try {
        await analyzeImage({ sessions, manifest }, bytes, {
          select: "primary",
          embed: false,
          refineLandmarks: refine,
          onAligned: (a, s) => {
            aligned.push(a);
            if (refine) sh = s;
          },
        });
      } catch (err) {
        if (!isFaceError(err)) throw err;
      }
    }
    shift.push(sh);
    if (aligned.length === 2) {
      let k = 0;
      for (const a of aligned) {
        for (const t of [a, mirror(a)]) {
          const e = await embedFace(session, t, { flip: false });
          vectors.set(e, (i * 4 + k++) * dim);
        }
      }
    }
    if ((i + 1) % 50 === 0 || i + 1 === images.length) {
      Deno.stderr.writeSync(
        new TextEncoder().encode(`\r${embedder.id}: embedded ${i + 1}/${images.length}`),
      );
    }
  }
  console.error("");
  await Deno.writeFile(binFile, new Uint8Array(vectors.buffer));
  await Deno.writeTextFile(idxFile, JSON.stringify({ images, shift }));
  return { shift, vectors, dim };
}

/** The embedding `recipe` gives image `i` (null: no face). */
function recipeEmbedding(v: ImageVectors, i: number, recipe: Recipe): Float32Array | null {
  const { dim, vectors } = v;
  const auto = recipe.refine === "auto" && v.shift[i] <= (recipe.refineShift ?? 0.05);
  const second = recipe.refine === true || (recipe.refine === "auto" && !auto);
  const base = (i * 4 + (second ? 2 : 0)) * dim;
  if (Number.isNaN(vectors[base])) return null;
  const a = vectors.subarray(base, base + dim);
  if (recipe.projection) {
    const plain = recipe.flip ? recipeEmbedding(v, i, { ...recipe, projection: undefined })! : a;
    return projectEmbedding(plain, recipe.projection);
  }
  if (!recipe.flip) return a;
  const b = vectors.subarray(base + dim, base + 2 * dim);
  const out = new Float32Array(dim);
  let n = 0;
  for (let j = 0; j < dim; j++) {
    out[j] = a[j] + b[j];
    n += out[j] * out[j];
  }
  n = Math.sqrt(n);
  for (let j = 0; j < dim; j++) out[j] /= n;
  return out;
}

/** Paired bootstrap 95% interval of mean(b) − mean(a) over per-pair correctness vectors. */
export function bootstrapDifference(
  a: boolean[],
  b: boolean[],
  resamples = 2000,
  seed = 1,
): [number, number] {
  const n = a.length, rand = prng(seed), diffs: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let d = 0;
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      d += Number(b[j]) - Number(a[j]);
    }
    diffs.push(d / n);
  }
  diffs.sort((x, y) => x - y);
  return [diffs[Math.floor(0.025 * resamples)], diffs[Math.ceil(0.975 * resamples) - 1]];
}

/** Exact two-sided McNemar p-value for discordant counts `b`, `c`. */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // P(X ≤ k) for X ~ Binomial(n, 1/2), in log space.
  let logC = 0, sum = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    sum += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, 2 * sum);
}

/** Per-pair correctness: 10-fold thresholds on `dev`, the all-dev threshold on `rest`. */
function correctness(dist: number[], same: boolean[], devCount: number): boolean[] {
  const out: boolean[] = new Array(dist.length).fill(false);
  const folds = 10, size = devCount / folds;
  const fit = (skip: (i: number) => boolean) => {
    const d: number[] = [], s: boolean[] = [];
    for (let i = 0; i < devCount; i++) {
      if (!skip(i) && !Number.isNaN(dist[i])) {
        d.push(dist[i]);
        s.push(same[i]);
      }
    }
    return bestThreshold(d, s).threshold;
  };
  for (let f = 0; f < folds; f++) {
    const lo = Math.round(f * size), hi = Math.round((f + 1) * size);
    const t = fit((i) => i >= lo && i < hi);
    for (let i = lo; i < hi; i++) out[i] = !Number.isNaN(dist[i]) && (dist[i] <= t) === same[i];
  }
  const t = fit(() => false);
  for (let i = devCount; i < dist.length; i++) {
    out[i] = !Number.isNaN(dist[i]) && (dist[i] <= t) === same[i];
  }
  return out;
}

function tarAt1e3(images: string[], emb: Map<string, Float32Array | null>) {
  const list = images.map((p) => ({ id: p.split("/")[0], e: emb.get(p) }))
    .filter((x): x is { id: string; e: Float32Array } => !!x.e);
  const d: number[] = [], s: boolean[] = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      d.push(l2Distance(list[i].e, list[j].e));
      s.push(list[i].id === list[j].id);
    }
  }
  const impostors = s.filter((x) => !x).length;
  return { tar: thresholdAtFar(d, s, 1e-3).tar, impostors, genuine: s.length - impostors };
}

/** Sorted impostor distances with their identity indices, and the genuine pairs, of one recipe. */
function pairTable(ids: number[], embs: Float32Array[]) {
  const imp: { d: number; a: number; b: number }[] = [];
  const gen: { d: number; a: number }[] = [];
  for (let i = 0; i < embs.length; i++) {
    for (let j = i + 1; j < embs.length; j++) {
      const d = l2Distance(embs[i], embs[j]);
      if (ids[i] === ids[j]) gen.push({ d, a: ids[i] });
      else imp.push({ d, a: ids[i], b: ids[j] });
    }
  }
  imp.sort((x, y) => x.d - y.d);
  return { imp, gen };
}

/** TAR at `far` with identity `w`eights (bootstrap replicate): pairs weigh w_a·w_b / w_a. */
function weightedTar(
  t: ReturnType<typeof pairTable>,
  w: Float64Array,
  count: Float64Array,
  far: number,
): number {
  let s = 0, s2 = 0;
  for (let a = 0; a < w.length; a++) {
    s += w[a] * count[a];
    s2 += (w[a] * count[a]) ** 2;
  }
  const allowed = (far * (s * s - s2)) / 2;
  let cum = 0, threshold = -Infinity;
  for (const p of t.imp) {
    cum += w[p.a] * w[p.b];
    if (cum > allowed + 1e-9) break;
    threshold = p.d;
  }
  let acc = 0, tot = 0;
  for (const g of t.gen) {
    tot += w[g.a];
    if (g.d <= threshold) acc += w[g.a];
  }
  return tot > 0 ? acc / tot : NaN;
}

/** Fewest people a subset needs for {@linkcode tarDifferenceCi}. */
export const MIN_BOOTSTRAP_PEOPLE = 30;

/**
 * Paired bootstrap over identities (2,000 resamples, the people drawn with replacement) of the
 * difference TAR(recipe) − TAR(baseline) at FAR 1e-3 over all image pairs of `images`;
 * `[NaN, NaN]` for fewer than {@linkcode MIN_BOOTSTRAP_PEOPLE} people.
 */
export function tarDifferenceCi(
  images: string[],
  base: Map<string, Float32Array | null>,
  mine: Map<string, Float32Array | null>,
  seed = 5,
  resamples = 2000,
): [number, number] {
  const kept = images.filter((p) => base.get(p) && mine.get(p));
  const names = [...new Set(kept.map((p) => p.split("/")[0]))];
  // Too few people to resample (the web photos show 13): no interval.
  if (names.length < MIN_BOOTSTRAP_PEOPLE) return [NaN, NaN];
  const ids = kept.map((p) => names.indexOf(p.split("/")[0]));
  const count = new Float64Array(names.length);
  for (const i of ids) count[i]++;
  const tb = pairTable(ids, kept.map((p) => base.get(p)!));
  const tm = pairTable(ids, kept.map((p) => mine.get(p)!));
  const rand = prng(seed), diffs: number[] = [];
  const w = new Float64Array(names.length);
  for (let r = 0; r < resamples; r++) {
    w.fill(0);
    for (let k = 0; k < names.length; k++) w[Math.floor(rand() * names.length)]++;
    const d = weightedTar(tm, w, count, 1e-3) - weightedTar(tb, w, count, 1e-3);
    if (!Number.isNaN(d)) diffs.push(d);
  }
  diffs.sort((x, y) => x - y);
  const n = diffs.length;
  return [diffs[Math.floor(0.025 * n)], diffs[Math.ceil(0.975 * n) - 1]];
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Embeds every image of `faces/pairs.csv` with each recipe and compares them with the first. */
export async function runRecipes(recipes: Recipe[]): Promise<RecipesReport> {
  const root = `${dataDir()}/faces`;
  const pairs: Pair[] = parsePairs(await Deno.readTextFile(`${root}/pairs.csv`));
  const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const devCount = 600;
  const isOrl = (p: Pair) => p.a.startsWith("ORL_");
  const subsets: { name: string; rows: number[] }[] = [
    { name: "dev LFW (rows 0–599)", rows: pairs.map((_, i) => i).filter((i) => i < devCount) },
    {
      name: "web photos (rows 600+, not ORL)",
      rows: pairs.map((_, i) => i).filter((i) => i >= devCount && !isOrl(pairs[i])),
    },
    {
      name: "ORL (rows 600+)",
      rows: pairs.map((_, i) => i).filter((i) => i >= devCount && isOrl(pairs[i])),
    },
  ];
  const same = pairs.map((p) => p.same);
  const results: RecipesReport["recipes"] = [];
  let base: boolean[] | undefined;
  let baseTar: number[] = [];
  let baseEmb: Map<string, Float32Array | null> | undefined;
  const perModel = new Map<string, ImageVectors>();
  for (const recipe of recipes) {
    const embedder = recipe.embedder ?? MODEL_MANIFEST.embedder;
    let vectors = perModel.get(embedder.id);
    if (!vectors) {
      vectors = await embedVariants(root, images, embedder);
      perModel.set(embedder.id, vectors);
    }
    const emb = new Map(images.map((p, i) => [p, recipeEmbedding(vectors!, i, recipe)]));
    let passes = 0, faces = 0;
    for (const [i, s] of vectors.shift.entries()) {
      if (!emb.get(images[i])) continue;
      faces++;
      passes += recipe.refine === true ||
          (recipe.refine === "auto" && s > (recipe.refineShift ?? 0.05))
        ? 2
        : 1;
    }
    const dist = pairs.map((p) => {
      const a = emb.get(p.a), b = emb.get(p.b);
      return a && b ? l2Distance(a, b) : NaN;
    });
    const ok = correctness(dist, same, devCount);
    const subsetResults: RecipeSubsetResult[] = [];
    const tars: number[] = [];
    let within = true, tarOk = true, tarNoise = true;
    for (const [k, sub] of subsets.entries()) {
      const subImages = [...new Set(sub.rows.flatMap((i) => [pairs[i].a, pairs[i].b]))];
      const { tar, impostors, genuine } = tarAt1e3(subImages, emb);
      tars.push(tar);
      const mine = sub.rows.map((i) => ok[i]);
      const res: RecipeSubsetResult = {
        subset: sub.name,
        pairs: sub.rows.length,
        accuracy: r4(mine.filter(Boolean).length / mine.length),
        no_face: subImages.filter((p) => !emb.get(p)).length,
        tar_at_far_1e3: r4(tar),
        impostor_pairs: impostors,
        genuine_pairs: genuine,
      };
      if (base) {
        const theirs = sub.rows.map((i) => base![i]);
        let bothRight = 0, bothWrong = 0, onlyBase = 0, onlyMine = 0;
        for (let i = 0; i < mine.length; i++) {
          if (mine[i] && theirs[i]) bothRight++;
          else if (!mine[i] && !theirs[i]) bothWrong++;
          else if (theirs[i]) onlyBase++;
          else onlyMine++;
        }
        const ci = bootstrapDifference(theirs, mine, 2000, 17 + k);
        res.paired = {
          both_right: bothRight,
          both_wrong: bothWrong,
          only_baseline_right: onlyBase,
          only_recipe_right: onlyMine,
          difference: r4((onlyMine - onlyBase) / mine.length),
          ci95: [r4(ci[0]), r4(ci[1])],
          mcnemar_p: r4(mcnemarExact(onlyBase, onlyMine)),
          tar_difference: r4(tar - baseTar[k]),
          tar_ci95: tarDifferenceCi(subImages, baseEmb!, emb, 31 + k).map(r4) as [number, number],
        };
        if (ci[0] > 0 || ci[1] < 0) within = false;
        if (tar < baseTar[k]) tarOk = false;
        const [lo, hi] = res.paired.tar_ci95;
        if (lo > 0 || hi < 0) tarNoise = false; // NaN (too few people) compares false
      }
      subsetResults.push(res);
    }
    if (!base) {
      base = ok;
      baseTar = tars;
      baseEmb = emb;
    }
    results.push({
      name: recipe.name,
      flip: recipe.flip,
      refine: recipe.refine === "auto"
        ? `auto (shift > ${recipe.refineShift ?? 0.05})`
        : String(recipe.refine),
      model: embedder.id,
      landmark_passes: Math.round((passes / Math.max(1, faces)) * 1000) / 1000,
      within_noise: within,
      tar_not_lower: tarOk,
      tar_within_noise: tarNoise,
      subsets: subsetResults,
    });
  }
  return { baseline: recipes[0].name, recipes: results };
}

/** The int8 QDQ embedder built by tools/quantize (written to `models/` on first use). */
export async function int8EmbedderEntry(): Promise<EmbedderEntry> {
  const file = new URL(`../models/${INT8_FILE}`, import.meta.url);
  const bytes = await buildInt8Embedder();
  await Deno.writeFile(file, bytes);
  return {
    ...MODEL_MANIFEST.embedder,
    id: `${MODEL_MANIFEST.embedder.id}+int8`,
    file: INT8_FILE,
    sha256: await sha256Hex(bytes),
  };
}

/**
 * The recipes `deno task bench recipes` compares (the first is the baseline); `int8` adds the int8
 * QDQ embedder's (one more embedding pass over the data set).
 */
export async function benchRecipes(options: { int8?: boolean } = {}): Promise<Recipe[]> {
  const fp32: Recipe[] = [
    { name: "flip, 2 landmark passes (v1)", flip: true, refine: true },
    { name: "no flip (v2)", flip: false, refine: true },
    { name: "1 landmark pass", flip: true, refine: false },
    { name: "2nd pass when shift > 0.1", flip: true, refine: "auto", refineShift: 0.1 },
    { name: "2nd pass when shift > 0.15", flip: true, refine: "auto", refineShift: 0.15 },
    { name: "no flip, 1 landmark pass", flip: false, refine: false },
  ];
  // v3 (the shipped 128-d map) and its baseline, plain PCA-128 fitted on the same training faces.
  const v3 = embedderRecipes().find((r) => r.projection)!;
  const p = v3.projection!;
  const trained = await loadProjection(new SessionCache(fileModelLoader()), p);
  const poolImages = await projectionPool();
  const { held } = projectionSplit(poolImages);
  const pca = pcaBasis(
    poolImages.filter((i) => !held.has(i.identity)).map((i) => i.embedding!),
    p.output,
  );
  fp32.push(
    { name: "v3: no flip, 128-d trained map", flip: false, refine: true, projection: trained },
    {
      name: "no flip, PCA-128 (baseline)",
      flip: false,
      refine: true,
      projection: { input: p.input, output: p.output, weights: Float32Array.from(pca) },
    },
  );
  if (!options.int8) return fp32;
  const int8 = await int8EmbedderEntry();
  return [
    ...fp32,
    { name: "int8, no flip", flip: false, refine: true, embedder: int8 },
    { name: "int8, flip", flip: true, refine: true, embedder: int8 },
  ];
}
