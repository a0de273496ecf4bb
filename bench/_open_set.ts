/**
 * Open-set identify as the gallery grows (`deno task bench openset`): rank-1 and FPIR at 1k, 10k,
 * 100k and 1M faces, at the threshold the default FPIR target derives for each size and at the
 * recipe's fixed identify default, on the default recipe (v2, 512-d int8 index).
 *
 * The gallery is the 940 enrolled dev faces of {@linkcode openSetSplit} plus synthetic faces: each
 * `normalize(μ + (1/√16)·Σ w_k (e_k − μ))`, `w_k ~ N(0, 1)`, over 16 random embeddings `e_k` of
 * half of the LFW strangers (a Gaussian with their mean and covariance), one subject each. The
 * probes are real: the 202 mated probes and the strangers not used to make synthetic faces. The synthetic
 * faces stand for real impostors only as far as their pair FAR against the strangers matches the
 * dev curve: `synthetic_pair_far` reports it at the curve's thresholds, so the reader can judge.
 *
 * @module
 */
import { embedDataset } from "./_embed_dataset.ts";
import { gaussian, prng } from "./_synthetic_gallery.ts";
import { estimateFpir, type Gallery, GalleryIndex, openSetThreshold } from "../lib/match/mod.ts";
import { defaultRecipe, MODEL_MANIFEST, recipeManifest } from "../models/manifest.ts";

/** One probe of the split. */
export interface OpenSetProbe {
  path: string;
  source: string;
  embedding: Float32Array;
}

/**
 * The dev open-set split (default recipe's embeddings): every identity with ≥ 2 usable images
 * except the last 10 ORL people enrolls all but its last image, which is its mated probe;
 * single-image people and the 10 ORL people are strangers (never enrolled).
 */
export async function openSetSplit() {
  const all = (await embedDataset({ flip: false })).filter((i) => i.embedding);
  const by = new Map<string, typeof all>();
  for (const im of all) by.set(im.identity, [...(by.get(im.identity) ?? []), im]);
  const orl = [...by.keys()].filter((k) => by.get(k)![0].source === "orl-att").sort();
  const held = new Set(orl.slice(-10));
  const gallery: { subject: string; embedding: Float32Array }[] = [];
  const mated: (OpenSetProbe & { subject: string })[] = [];
  const strangers: OpenSetProbe[] = [];
  const probe = (i: typeof all[number]) => ({
    path: i.path,
    source: i.source,
    embedding: i.embedding!,
  });
  for (const [subject, images] of by) {
    if (images.length < 2 || held.has(subject)) {
      strangers.push(...images.map(probe));
      continue;
    }
    for (const i of images.slice(0, -1)) gallery.push({ subject, embedding: i.embedding! });
    mated.push({ subject, ...probe(images.at(-1)!) });
  }
  const lfw = all.filter((i) => i.source === "lfw-deepfunneled").map((i) => i.embedding!);
  return { gallery, mated, strangers, lfw };
}

/** One gallery size of the report. */
export interface OpenSetRow {
  faces: number;
  /** Threshold derived for the default FPIR target (0.01) at this size. */
  threshold: number;
  /** The curve's estimate of the FPIR at that threshold. */
  fpir_estimated: number;
  /** Measured on the real strangers at that threshold. */
  fpir: number;
  /** Nearest subject of each mated probe is its own (closed set). */
  rank1: number;
  /** Mated probes named correctly at the threshold (rank-1 and within it). */
  identified: number;
  /** The same at the recipe's fixed identify default. */
  fixed: { threshold: number; fpir: number; identified: number };
  search_ms_p50: number;
}

/** The report of {@linkcode runOpenSet}. */
export interface OpenSetReport {
  model: string;
  target_fpir: number;
  mated_probes: number;
  strangers: number;
  dev_faces: number;
  rows: OpenSetRow[];
  /** Per-pair FAR of strangers × synthetic faces at curve thresholds, against the curve's FAR. */
  synthetic_pair_far: { threshold: number; curve: number; synthetic: number }[];
  note: string;
}

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;

/** Runs the open-set bench at `sizes` (default 1k, 10k, 100k, 1M faces). */
export async function runOpenSet(
  sizes: number[] = [1_000, 10_000, 100_000, 1_000_000],
): Promise<OpenSetReport> {
  const recipe = defaultRecipe();
  const t = recipeManifest(MODEL_MANIFEST, recipe.id).embedder.thresholds;
  const curve = t.impostor_far!, fixed = t.identify!, target = 0.01;
  const split = await openSetSplit();
  const { gallery, mated } = split;
  // Synthetic faces are made from half of the LFW strangers (every other one); only the other
  // strangers are probes, so no probe is part of a synthetic face.
  const lfwStrangers = split.strangers.filter((s) => s.source === "lfw-deepfunneled");
  const pool = new Set(lfwStrangers.filter((_, i) => i % 2 === 0).map((s) => s.path));
  const lfw = lfwStrangers.filter((s) => pool.has(s.path)).map((s) => s.embedding);
  const strangers = split.strangers.filter((s) => !pool.has(s.path));
  const dim = gallery[0].embedding.length;
  const mean = new Float64Array(dim);
  for (const e of lfw) for (let j = 0; j < dim; j++) mean[j] += e[j] / lfw.length;
  const rand = prng(25), normal = gaussian(rand);
  const M = 16;
  const synthetic = (n: number) => {
    const out = new Float32Array(n * dim), acc = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      acc.set(mean);
      for (let k = 0; k < M; k++) {
        const e = lfw[Math.floor(rand() * lfw.length)], w = normal() / Math.sqrt(M);
        for (let j = 0; j < dim; j++) acc[j] += w * (e[j] - mean[j]);
      }
      let s = 0;
      for (let j = 0; j < dim; j++) s += acc[j] * acc[j];
      s = 1 / Math.sqrt(s);
      for (let j = 0; j < dim; j++) out[i * dim + j] = acc[j] * s;
    }
    return out;
  };
  const max = Math.max(...sizes);
  // Dev faces first, then synthetic ones in chunks: an index of the first `n` faces per size.
  const chunks: Gallery[] = [];
  const devSubjects = [...new Set(gallery.map((g) => g.subject))];
  chunks.push({
    dim,
    subjects: devSubjects,
    subjectIndex: Int32Array.from(gallery.map((g) => devSubjects.indexOf(g.subject))),
    faceIds: gallery.map((_, i) => `dev${i}`),
    vectors: Float32Array.from(gallery.flatMap((g) => [...g.embedding])),
  });
  let made = gallery.length;
  const CHUNK = 50_000;
  const started = performance.now();
  while (made < max) {
    const n = Math.min(CHUNK, max - made);
    const ids = Array.from({ length: n }, (_, i) => `s${made + i}`);
    chunks.push({
      dim,
      subjects: ids,
      subjectIndex: Int32Array.from(ids, (_, i) => i),
      faceIds: ids,
      vectors: synthetic(n),
    });
    made += n;
  }
  console.error(`open set: ${made} faces made in ${Math.round(performance.now() - started)} ms`);
  // How synthetic faces compare with real impostors: strangers × 50k synthetic faces.
  const check = chunks[1] ?? chunks[0];
  const checkN = check.faceIds.length;
  const ts = curve.points.slice(0, 4).map(([th]) => th);
  const counts = ts.map(() => 0);
  for (const s of strangers) {
    for (let i = 0; i < checkN; i++) {
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += s.embedding[j] * check.vectors[i * dim + j];
      const d = Math.sqrt(Math.max(0, 2 - 2 * dot));
      for (let k = 0; k < ts.length; k++) if (d <= ts[k]) counts[k]++;
    }
  }
  const pairs = strangers.length * checkN;
  const syntheticPairFar = ts.map((th, k) => ({
    threshold: th,
    curve: curve.points[k][1],
    synthetic: Number((counts[k] / pairs).toPrecision(3)),
  }));

  const rows: OpenSetRow[] = [];
  for (const faces of sizes) {
    const prefix: Gallery[] = [];
    let left = faces;
    for (const c of chunks) {
      if (left <= 0) break;
      const n = Math.min(left, c.faceIds.length);
      prefix.push(
        n === c.faceIds.length ? c : {
          ...c,
          faceIds: c.faceIds.slice(0, n),
          subjectIndex: c.subjectIndex.slice(0, n),
          vectors: c.vectors.subarray(0, n * dim),
          subjects: c.subjects,
        },
      );
      left -= n;
    }
    const index = await GalleryIndex.fromChunks((async function* () {
      yield* prefix;
    })());
    const threshold = Math.floor(
      openSetThreshold(curve, { faces, fpir: target, cap: fixed }).threshold * 1e4,
    ) / 1e4;
    const times: number[] = [];
    const best = (e: Float32Array) => {
      const t0 = performance.now();
      const [b] = index.search(e, 1);
      times.push(performance.now() - t0);
      return b;
    };
    const m = mated.map((p) => ({ b: best(p.embedding), truth: p.subject }));
    const s = strangers.map((p) => best(p.embedding).distance);
    const identified = (th: number) =>
      m.filter((r) => r.b.subject === r.truth && r.b.distance <= th).length / m.length;
    const fpir = (th: number) => s.filter((d) => d <= th).length / s.length;
    times.sort((a, b) => a - b);
    rows.push({
      faces,
      threshold,
      fpir_estimated: round(estimateFpir(curve, { faces, threshold }).fpir, 5),
      fpir: round(fpir(threshold)),
      rank1: round(m.filter((r) => r.b.subject === r.truth).length / m.length),
      identified: round(identified(threshold)),
      fixed: { threshold: fixed, fpir: round(fpir(fixed)), identified: round(identified(fixed)) },
      search_ms_p50: round(times[times.length >> 1], 2),
    });
    console.error(JSON.stringify(rows.at(-1)));
  }
  return {
    model: recipe.id,
    target_fpir: target,
    mated_probes: mated.length,
    strangers: strangers.length,
    dev_faces: gallery.length,
    rows,
    synthetic_pair_far: syntheticPairFar,
    note:
      "dev faces + synthetic faces drawn from a Gaussian with the mean and covariance of half " +
      "the LFW strangers; probes are real dev photos' embeddings (mated, and the other strangers)",
  };
}
