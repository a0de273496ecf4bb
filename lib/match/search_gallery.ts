import type { Gallery } from "./gallery.ts";
import { dotAt } from "./_dot_at.ts";
import { smallestK } from "./_smallest_k.ts";
import { unitDistance } from "./_unit_distance.ts";
import type { MatchStrategy } from "./score_subject.ts";

/** Options for {@linkcode searchGallery}. */
export interface SearchGalleryOptions {
  /** Maximum number of subjects returned, a positive integer. Default: 5. */
  k?: number;
  /** How a subject's faces are combined; see {@linkcode MatchStrategy}. Default: `"nearest"`. */
  strategy?: MatchStrategy;
}

/** One subject returned by {@linkcode searchGallery}. */
export interface GalleryCandidate {
  /** The subject. */
  subject: string;
  /** The subject's L2 distance to the probe under the strategy, in `[0, 2]`. */
  distance: number;
  /** The cosine equivalent of `distance`, `1 − distance²/2`, in `[-1, 1]`. */
  similarity: number;
  /** Id of the subject's face nearest to the probe. */
  face_id: string;
}

/**
 * The `k` subjects of a gallery closest to a probe, nearest first (ties by subject name), one
 * candidate per subject; scored exactly as {@linkcode scoreSubject} scores them. All embeddings
 * must be unit vectors: one pass over the packed `vectors` computes dot products and
 * `d² = 2 − 2·dot`, with per-subject (never per-face) scratch, and the top `k` are selected with a
 * bounded heap in O(subjects · log k). Subjects without faces are skipped; an empty gallery gives
 * `[]`. Thresholding (open-set "unknown") is the caller's job.
 *
 * @param gallery The packed gallery from `FaceStore.gallery`.
 * @param probe The probe's unit embedding, of length `gallery.dim`.
 * @param options See {@linkcode SearchGalleryOptions}.
 * @returns Up to `k` candidates sorted by increasing distance.
 * @throws {RangeError} When the probe's dimension differs from the gallery's, the gallery's arrays
 * are inconsistent, `k` is not a positive integer, or the strategy is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   type GalleryCandidate,
 *   searchGallery,
 *   type SearchGalleryOptions,
 * } from "./search_gallery.ts";
 * const gallery = {
 *   dim: 2,
 *   subjects: ["ada", "bob"],
 *   subjectIndex: new Int32Array([0, 1, 1]),
 *   faceIds: ["a1", "b1", "b2"],
 *   vectors: new Float32Array([1, 0, 0, 1, 0.6, 0.8]),
 * };
 * const options: SearchGalleryOptions = { k: 1, strategy: "nearest" };
 * const [best]: GalleryCandidate[] = searchGallery(gallery, new Float32Array([0, 1]), options);
 * assert.deepEqual(best, { subject: "bob", distance: 0, similarity: 1, face_id: "b1" });
 * ```
 */
export function searchGallery(
  gallery: Gallery,
  probe: ArrayLike<number>,
  options: SearchGalleryOptions = {},
): GalleryCandidate[] {
  const { k = 5, strategy = "nearest" } = options;
  if (strategy !== "nearest" && strategy !== "mean" && strategy !== "top2") {
    throw new RangeError(`Cannot search gallery: unknown strategy "${strategy}"`);
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`Cannot search gallery: k must be a positive integer, got ${k}`);
  }
  const { dim, subjects, subjectIndex, faceIds, vectors } = gallery;
  const n = faceIds.length;
  const s = subjects.length;
  if (probe.length !== dim) {
    throw new RangeError(
      `Cannot search gallery: probe has dimension ${probe.length}, gallery ${dim}`,
    );
  }
  if (subjectIndex.length !== n || vectors.length !== n * dim) {
    throw new RangeError(
      `Cannot search gallery: ${n} face ids, ${subjectIndex.length} subject indices and ` +
        `${vectors.length} floats (dimension ${dim}) do not agree`,
    );
  }
  for (let i = 0; i < n; i++) {
    const si = subjectIndex[i];
    if (si < 0 || si >= s) {
      throw new RangeError(`Cannot search gallery: face ${i} has subject index ${si} of ${s}`);
    }
  }

  const p = Float64Array.from(probe);
  const best1 = new Float64Array(s).fill(-Infinity);
  const nearest = new Int32Array(s).fill(-1);
  const distance = new Float64Array(s);

  if (strategy === "mean") {
    scanGrouped(vectors, subjectIndex, s, dim, p, best1, nearest, distance);
  } else {
    const best2 = strategy === "top2" ? new Float64Array(s).fill(-Infinity) : undefined;
    for (let i = 0, off = 0; i < n; i++, off += dim) {
      const dot = dotAt(vectors, off, p, dim);
      const si = subjectIndex[i];
      if (dot > best1[si]) {
        if (best2) best2[si] = best1[si];
        best1[si] = dot;
        nearest[si] = i;
      } else if (best2 && dot > best2[si]) best2[si] = dot;
    }
    for (let si = 0; si < s; si++) {
      if (nearest[si] < 0) continue;
      distance[si] = best2 && best2[si] > -Infinity
        ? (unitDistance(best1[si]) + unitDistance(best2[si])) / 2
        : unitDistance(best1[si]);
    }
  }

  let count = 0;
  const present = new Int32Array(s);
  for (let si = 0; si < s; si++) if (nearest[si] >= 0) present[count++] = si;
  const less = (a: number, b: number): boolean =>
    distance[a] < distance[b] || (distance[a] === distance[b] && subjects[a] < subjects[b]);
  return smallestK(present.subarray(0, count), k, less).map((si) => ({
    subject: subjects[si],
    distance: distance[si],
    similarity: 1 - distance[si] * distance[si] / 2,
    face_id: faceIds[nearest[si]],
  }));
}

/**
 * The `"mean"` scan: visits faces grouped by subject (a stable counting sort of row indices, so
 * each subject's faces keep their gallery order, as {@linkcode scoreSubject} sees them) and sums
 * each subject's vectors in one reusable `dim`-sized buffer to re-normalise the mean.
 */
function scanGrouped(
  vectors: Float32Array,
  subjectIndex: Int32Array,
  s: number,
  dim: number,
  p: Float64Array,
  best1: Float64Array,
  nearest: Int32Array,
  distance: Float64Array,
): void {
  const n = subjectIndex.length;
  const start = new Int32Array(s + 1);
  for (let i = 0; i < n; i++) start[subjectIndex[i] + 1]++;
  for (let si = 0; si < s; si++) start[si + 1] += start[si];
  const order = new Int32Array(n);
  const fill = start.slice(0, s);
  for (let i = 0; i < n; i++) order[fill[subjectIndex[i]]++] = i;

  const sum = new Float64Array(dim);
  for (let si = 0; si < s; si++) {
    if (start[si] === start[si + 1]) continue;
    sum.fill(0);
    let dotSum = 0;
    for (let r = start[si]; r < start[si + 1]; r++) {
      const i = order[r], off = i * dim;
      const dot = dotAt(vectors, off, p, dim);
      dotSum += dot;
      if (dot > best1[si]) {
        best1[si] = dot;
        nearest[si] = i;
      }
      for (let j = 0; j < dim; j++) sum[j] += vectors[off + j];
    }
    const norm = Math.sqrt(dotAt(sum, 0, sum, dim));
    distance[si] = norm > 1e-12 ? unitDistance(dotSum / norm) : Math.SQRT2;
  }
}
