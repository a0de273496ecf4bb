/**
 * Which faces of a gallery may match now: retention (faces created before a cutoff) and subject
 * expiry, computed at search time from the gallery's creation times and expiries, so a cached
 * index stops matching a face the moment it expires, without any write.
 *
 * @module
 */
import type { Gallery } from "./gallery.ts";

/** The instant a search runs at and the collection's retention cutoff. */
export interface LiveWindow {
  /** Faces created before this time (ms since the epoch) are too old. `-Infinity`: no retention. */
  createdSince: number;
  /** The current time (ms since the epoch): subjects whose expiry is at or before it are expired. */
  now: number;
}

/** One face that may no longer match. */
export interface ExpiredFace {
  /** Its subject. */
  subject: string;
  /** Its id. */
  faceId: string;
  /** Whether its subject has expired (else the face is older than the retention period). */
  subjectExpired: boolean;
  /** Whether every face of its subject may no longer match (a purge removes the subject). */
  wholeSubject: boolean;
}

/**
 * Whether face `i` of `g` may match within `w`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLiveFace } from "./live_faces.ts";
 * const g = {
 *   dim: 1,
 *   subjects: ["ann"],
 *   subjectIndex: new Int32Array([0, 0]),
 *   faceIds: ["old", "new"],
 *   vectors: new Float32Array([1, 1]),
 *   createdAt: new Float64Array([100, 900]),
 * };
 * assert.deepEqual([0, 1].map((i) => isLiveFace(g, i, { createdSince: 500, now: 1000 })), [false, true]);
 * ```
 */
export function isLiveFace(g: Gallery, i: number, w: LiveWindow): boolean {
  if (g.createdAt !== undefined && g.createdAt[i] < w.createdSince) return false;
  return g.subjectExpiresAt === undefined || g.subjectExpiresAt[g.subjectIndex[i]] > w.now;
}

/**
 * The gallery without the faces that may not match within `w` (and without subjects left with
 * none); `g` itself when every face is live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveGallery } from "./live_faces.ts";
 * const g = {
 *   dim: 1,
 *   subjects: ["ann", "bob"],
 *   subjectIndex: new Int32Array([0, 1]),
 *   faceIds: ["a1", "b1"],
 *   vectors: new Float32Array([1, 1]),
 *   subjectExpiresAt: new Float64Array([Infinity, 10]),
 * };
 * assert.deepEqual(liveGallery(g, { createdSince: -Infinity, now: 20 }).subjects, ["ann"]);
 * ```
 */
export function liveGallery(g: Gallery, w: LiveWindow): Gallery {
  const keep: number[] = [];
  for (let i = 0; i < g.faceIds.length; i++) if (isLiveFace(g, i, w)) keep.push(i);
  if (keep.length === g.faceIds.length) return g;
  const subjects: string[] = [];
  const expires: number[] = [];
  const subjectIndex = new Int32Array(keep.length);
  const vectors = new Float32Array(keep.length * g.dim);
  const createdAt = new Float64Array(keep.length);
  let last = -1;
  keep.forEach((i, j) => {
    const si = g.subjectIndex[i];
    if (si !== last) {
      subjects.push(g.subjects[si]);
      expires.push(g.subjectExpiresAt?.[si] ?? Infinity);
      last = si;
    }
    subjectIndex[j] = subjects.length - 1;
    vectors.set(g.vectors.subarray(i * g.dim, (i + 1) * g.dim), j * g.dim);
    createdAt[j] = g.createdAt?.[i] ?? Infinity;
  });
  return {
    dim: g.dim,
    subjects,
    subjectIndex,
    faceIds: keep.map((i) => g.faceIds[i]),
    vectors,
    createdAt,
    subjectExpiresAt: Float64Array.from(expires),
  };
}

/**
 * The faces of `g` that may not match within `w`, in gallery order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expiredFaces } from "./live_faces.ts";
 * const g = {
 *   dim: 1,
 *   subjects: ["ann"],
 *   subjectIndex: new Int32Array([0]),
 *   faceIds: ["a1"],
 *   vectors: new Float32Array([1]),
 *   subjectExpiresAt: new Float64Array([10]),
 * };
 * assert.deepEqual(expiredFaces(g, { createdSince: -Infinity, now: 10 }), [
 *   { subject: "ann", faceId: "a1", subjectExpired: true, wholeSubject: true },
 * ]);
 * ```
 */
export function expiredFaces(g: Gallery, w: LiveWindow): ExpiredFace[] {
  const dead: number[] = [];
  const alive = new Uint8Array(g.subjects.length);
  for (let i = 0; i < g.faceIds.length; i++) {
    if (isLiveFace(g, i, w)) alive[g.subjectIndex[i]] = 1;
    else dead.push(i);
  }
  return dead.map((i) => {
    const si = g.subjectIndex[i];
    return {
      subject: g.subjects[si],
      faceId: g.faceIds[i],
      subjectExpired: g.subjectExpiresAt !== undefined && !(g.subjectExpiresAt[si] > w.now),
      wholeSubject: alive[si] === 0,
    };
  });
}
