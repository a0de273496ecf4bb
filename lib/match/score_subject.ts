import { dotAt } from "./_dot_at.ts";
import { unitDistance } from "./_unit_distance.ts";

/**
 * How a subject with several enrolled faces is scored against a probe (all unit embeddings):
 * - `"nearest"`: the smallest L2 distance to any of its faces;
 * - `"mean"`: the L2 distance to the re-normalised mean of its faces (a subject whose faces sum
 *   to zero scores `√2`, as an orthogonal vector would);
 * - `"top2"`: the mean of its two smallest distances (the smallest alone with one face).
 */
export type MatchStrategy = "nearest" | "mean" | "top2";

/** Result of {@linkcode scoreSubject}. */
export interface SubjectScore {
  /** The subject's distance to the probe under the strategy, in `[0, 2]`. */
  distance: number;
  /** Index of the face nearest to the probe (under every strategy; first on a tie). */
  faceIndex: number;
}

/**
 * Scores one subject's faces against a probe, with the same arithmetic as
 * {@linkcode searchGallery} (so verify and identify agree to the bit). Embeddings must be unit
 * vectors: distances come from `d² = 2 − 2·dot`, so near 0 they carry the float32 rounding of the
 * norms (a float32 unit vector is about 3e-4 from itself), which is immaterial at match thresholds.
 *
 * @param faces The subject's unit embeddings.
 * @param probe The probe's unit embedding.
 * @param strategy See {@linkcode MatchStrategy}. Default: `"nearest"`.
 * @returns The distance and the index of the nearest face.
 * @throws {RangeError} When `faces` is empty, a face's dimension differs from the probe's, or the
 * strategy is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type MatchStrategy, scoreSubject, type SubjectScore } from "./score_subject.ts";
 * const faces = [new Float32Array([1, 0]), new Float32Array([0, 1])];
 * const probe = new Float32Array([1, 0]);
 * assert.deepEqual(scoreSubject(faces, probe), { distance: 0, faceIndex: 0 });
 * const strategy: MatchStrategy = "top2";
 * const score: SubjectScore = scoreSubject(faces, probe, strategy);
 * assert.deepEqual(score, { distance: Math.SQRT2 / 2, faceIndex: 0 });
 * ```
 */
export function scoreSubject(
  faces: ArrayLike<number>[],
  probe: ArrayLike<number>,
  strategy: MatchStrategy = "nearest",
): SubjectScore {
  if (strategy !== "nearest" && strategy !== "mean" && strategy !== "top2") {
    throw new RangeError(`Cannot score subject: unknown strategy "${strategy}"`);
  }
  if (faces.length === 0) throw new RangeError("Cannot score subject: it has no faces");
  const dim = probe.length;
  const p = Float64Array.from(probe);
  const sum = strategy === "mean" ? new Float64Array(dim) : undefined;
  let best1 = -Infinity, best2 = -Infinity, dotSum = 0, faceIndex = 0;
  for (let f = 0; f < faces.length; f++) {
    const face = faces[f];
    if (face.length !== dim) {
      throw new RangeError(
        `Cannot score subject: face ${f} has dimension ${face.length}, probe has ${dim}`,
      );
    }
    const dot = dotAt(face, 0, p, dim);
    if (dot > best1) {
      best2 = best1;
      best1 = dot;
      faceIndex = f;
    } else if (dot > best2) best2 = dot;
    if (sum) {
      dotSum += dot;
      for (let j = 0; j < dim; j++) sum[j] += face[j];
    }
  }
  let distance: number;
  if (sum) {
    const norm = Math.sqrt(dotAt(sum, 0, sum, dim));
    distance = norm > 1e-12 ? unitDistance(dotSum / norm) : Math.SQRT2;
  } else if (strategy === "top2" && best2 > -Infinity) {
    distance = (unitDistance(best1) + unitDistance(best2)) / 2;
  } else {
    distance = unitDistance(best1);
  }
  return { distance, faceIndex };
}
