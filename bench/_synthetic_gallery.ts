/**
 * Synthetic galleries for the scale benchmark: one random unit "identity centre" per subject,
 * 1–3 faces per subject, each face the centre plus isotropic Gaussian noise, renormalised. The
 * noise level is chosen so the genuine (same-subject) L2 distances match a target, by default the
 * median genuine distance measured on the dev set.
 *
 * @module
 */
import type { CollectionRef, FaceStore, Gallery } from "../lib/store/mod.ts";

/** Options for {@linkcode syntheticGallery}. */
export interface SyntheticGalleryOptions {
  /** Number of faces. */
  faces: number;
  /** Embedding dimension. Default: 512. */
  dim?: number;
  /** Median L2 distance between two faces of one subject. Default: 0.9. */
  genuineDistance?: number;
  /** PRNG seed. Default: 1. */
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sampler (Box–Muller) over `rand`. */
export function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-12), v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Per-component noise σ giving a median genuine distance `d` between two noisy copies of one
 * unit centre in `dim` dimensions: each copy is `(c + σ·n)/|c + σ·n|`, so their cosine is about
 * `1 / (1 + σ²·dim)` and `d² = 2 − 2·cos`.
 */
export function noiseForDistance(d: number, dim: number): number {
  const cos = 1 - (d * d) / 2;
  return Math.sqrt((1 / cos - 1) / dim);
}

/** A packed gallery plus each face's identity centre index (== subject index). */
export interface SyntheticGallery extends Gallery {
  /** The identity centres, `subjects.length × dim`. */
  centres: Float32Array;
  /** The noise σ used. */
  sigma: number;
}

/** Builds a synthetic gallery; see the module doc. */
export function syntheticGallery(options: SyntheticGalleryOptions): SyntheticGallery {
  const dim = options.dim ?? 512;
  const n = options.faces;
  const rand = prng(options.seed ?? 1);
  const normal = tableNormal(rand);
  const sigma = noiseForDistance(options.genuineDistance ?? 0.9, dim);
  const subjectIndex = new Int32Array(n);
  const faceIds: string[] = new Array(n);
  const vectors = new Float32Array(n * dim);
  const subjects: string[] = [];
  const centreList: Float32Array[] = [];
  let i = 0;
  while (i < n) {
    const si = subjects.length;
    subjects.push(`s${si}`);
    const c = new Float32Array(dim);
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += (c[j] = normal()) ** 2;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dim; j++) c[j] /= norm;
    centreList.push(c);
    const count = Math.min(n - i, 1 + Math.floor(rand() * 3));
    for (let f = 0; f < count; f++, i++) {
      subjectIndex[i] = si;
      faceIds[i] = `f${i}`;
      noisy(c, sigma, normal, vectors.subarray(i * dim, (i + 1) * dim));
    }
  }
  const centres = new Float32Array(subjects.length * dim);
  centreList.forEach((c, k) => centres.set(c, k * dim));
  return { dim, subjects, subjectIndex, faceIds, vectors, centres, sigma };
}

/** Writes `(c + σ·n)/|c + σ·n|` into `out` and returns it. */
export function noisy(
  c: Float32Array,
  sigma: number,
  normal: () => number,
  out = new Float32Array(c.length),
): Float32Array {
  let norm = 0;
  for (let j = 0; j < c.length; j++) norm += (out[j] = c[j] + sigma * normal()) ** 2;
  norm = Math.sqrt(norm);
  for (let j = 0; j < c.length; j++) out[j] /= norm;
  return out;
}

/**
 * A fast approximate standard normal: a fixed table of 2¹⁶ Box–Muller samples read at random
 * offsets (generation of 1M × 512 components would otherwise take minutes).
 */
export function tableNormal(rand: () => number): () => number {
  const size = 1 << 16, mask = size - 1;
  const table = new Float64Array(size);
  const g = gaussian(rand);
  for (let i = 0; i < size; i++) table[i] = g();
  let pos = 0, left = 0;
  return () => {
    if (left === 0) {
      pos = Math.floor(rand() * size);
      left = 509; // a prime run length, so rows do not repeat in lockstep
    }
    left--;
    return table[pos++ & mask];
  };
}

/**
 * Enrolls every face of `g` into `store` under `ref` (its subjects, quality 0.9), `parallel`
 * writes in flight (default 16).
 */
export async function enrollGallery(
  store: FaceStore,
  ref: CollectionRef,
  g: Gallery,
  parallel = 16,
): Promise<void> {
  const faces = g.faceIds.length;
  let next = 0;
  const writer = async () => {
    while (next < faces) {
      const i = next++;
      await store.addFace(ref, g.subjects[g.subjectIndex[i]], {
        embedding: g.vectors.subarray(i * g.dim, (i + 1) * g.dim),
        quality: 0.9,
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, writer));
}
