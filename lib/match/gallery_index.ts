import type { Gallery } from "./gallery.ts";
import { quantizeInt8 } from "./quantize_int8.ts";
import type { GalleryCandidate } from "./search_gallery.ts";
import { type ExpiredFace, expiredFaces, type LiveWindow } from "./live_faces.ts";
import { type DotsKernel } from "./_dots_kernel.ts";
import { CHUNK, grown, type PlacedRows, placeRows, quantizeRows } from "./_gallery_rows.ts";

/** Options for {@linkcode GalleryIndex.build}. */
export interface GalleryIndexOptions {
  /** Use the WebAssembly SIMD kernel when the runtime allows it. Default: true. */
  simd?: boolean;
}

/**
 * An in-memory nearest-subject index over a packed gallery: every face is quantised to int8 with
 * one scale per face (`dim + 4` bytes instead of `4·dim`, 4× less memory) and a probe is scanned
 * with integer dot products — WebAssembly SIMD where available, plain JavaScript otherwise.
 * Scores subjects by their nearest face (the `"nearest"` strategy of {@linkcode searchGallery}).
 * Distances are those of the int8 vectors: within ±0.002 of the float32 distance for 512-d unit
 * embeddings (measured, see BENCHMARKS.md). Immutable once built; cache it per gallery version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GalleryIndex, type GalleryIndexOptions } from "./gallery_index.ts";
 * const options: GalleryIndexOptions = { simd: false };
 * const index = GalleryIndex.build({
 *   dim: 2,
 *   subjects: ["ada", "bob"],
 *   subjectIndex: new Int32Array([0, 1]),
 *   faceIds: ["a1", "b1"],
 *   vectors: new Float32Array([1, 0, 0, 1]),
 * }, options);
 * const [best] = index.search(new Float32Array([0, 1]), 1);
 * assert.equal(best.subject, "bob");
 * assert.ok(best.distance < 0.01);
 * ```
 */
export class GalleryIndex {
  /** Embedding dimension. */
  readonly dim: number;
  /** Number of faces. */
  readonly size: number;
  readonly #subjects: string[];
  readonly #subjectIndex: Int32Array;
  readonly #faceIds: string[];
  readonly #gallery: Gallery;
  readonly #scales: Float32Array;
  readonly #rows: Int8Array;
  readonly #kernel: DotsKernel | null;
  readonly #probePtr: number;
  readonly #outPtr: number;

  private constructor(
    g: Gallery,
    rows: Int8Array,
    scales: Float32Array,
    kernel: DotsKernel | null,
  ) {
    this.dim = g.dim;
    this.size = g.faceIds.length;
    this.#subjects = g.subjects;
    this.#subjectIndex = g.subjectIndex;
    this.#faceIds = g.faceIds;
    // Kept for liveness (creation times, expiries) without the float32 vectors, which the
    // index must not keep alive.
    this.#gallery = { ...g, vectors: new Float32Array(0) };
    this.#scales = scales;
    this.#kernel = kernel;
    this.#probePtr = rows.length;
    this.#outPtr = rows.length + g.dim + ((16 - (g.dim % 16)) % 16);
    this.#rows = rows;
  }

  /**
   * Quantises a gallery into an index.
   * @throws {RangeError} when the gallery's arrays are inconsistent.
   */
  static build(gallery: Gallery, options: GalleryIndexOptions = {}): GalleryIndex {
    const n = gallery.faceIds.length, dim = gallery.dim;
    if (gallery.vectors.length !== n * dim || gallery.subjectIndex.length !== n) {
      throw new RangeError("Cannot index gallery: vectors, faceIds and subjectIndex disagree");
    }
    if (
      (gallery.createdAt !== undefined && gallery.createdAt.length !== n) ||
      (gallery.subjectExpiresAt !== undefined &&
        gallery.subjectExpiresAt.length !== gallery.subjects.length)
    ) {
      throw new RangeError("Cannot index gallery: createdAt or subjectExpiresAt disagree");
    }
    const { rows, kernel } = placeRows(n, dim, options);
    const scales = new Float32Array(n);
    quantizeRows(gallery.vectors, n, dim, rows, scales, 0);
    return new GalleryIndex(gallery, rows, scales, kernel);
  }

  /**
   * Builds an index from a gallery read in chunks (e.g. one per store round trip), quantising
   * each chunk as it arrives, so the whole gallery never exists in float32: memory stays at the
   * int8 index plus one chunk. A face must appear in one chunk only; a subject may span chunks
   * (its expiry is taken from the first chunk that names it).
   *
   * @throws {RangeError} when a chunk's arrays are inconsistent or chunks differ in dimension.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { GalleryIndex } from "./gallery_index.ts";
   * async function* chunks() {
   *   yield { dim: 2, subjects: ["ada"], subjectIndex: new Int32Array([0]), faceIds: ["a1"],
   *     vectors: new Float32Array([1, 0]) };
   *   yield { dim: 2, subjects: ["bob"], subjectIndex: new Int32Array([0]), faceIds: ["b1"],
   *     vectors: new Float32Array([0, 1]) };
   * }
   * const index = await GalleryIndex.fromChunks(chunks(), { simd: false });
   * assert.equal(index.size, 2);
   * assert.equal(index.search(new Float32Array([0, 1]), 1)[0].subject, "bob");
   * ```
   */
  static async fromChunks(
    chunks: AsyncIterable<Gallery>,
    options: GalleryIndexOptions = {},
  ): Promise<GalleryIndex> {
    let dim = 0, n = 0;
    // Rows are quantised straight into the kernel's memory (grown as chunks come), not copied
    // there at the end.
    let placed: PlacedRows | undefined;
    let scales: Float32Array = new Float32Array(0);
    let subjectIndex: Int32Array = new Int32Array(0);
    let createdAt: Float64Array = new Float64Array(0);
    const subjects: string[] = [], expires: number[] = [], faceIds: string[] = [];
    const bySubject = new Map<string, number>();
    for await (const g of chunks) {
      const m = g.faceIds.length;
      if (m === 0) continue;
      if (g.vectors.length !== m * g.dim || g.subjectIndex.length !== m) {
        throw new RangeError("Cannot index gallery: vectors, faceIds and subjectIndex disagree");
      }
      if (dim === 0) dim = g.dim;
      if (g.dim !== dim) {
        throw new RangeError(`Cannot index gallery: a chunk has ${g.dim} dims, not ${dim}`);
      }
      // The kernel's memory grows in place, so to the exact need (what it holds stays as long as
      // the index); an array doubles, so that copying it stays linear.
      if (!placed || placed.rows.length < (n + m) * dim) {
        const inKernel = placed?.kernel !== null;
        const cap = inKernel ? n + m : Math.max(n + m, 2 * placed!.rows.length / dim);
        placed = placeRows(cap, dim, options, placed);
      }
      if (n + m > scales.length) {
        const cap = Math.max(n + m, scales.length * 2);
        scales = grown(scales, cap);
        subjectIndex = grown(subjectIndex, cap);
        createdAt = grown(createdAt, cap);
      }
      quantizeRows(g.vectors, m, dim, placed!.rows, scales, n);
      for (let i = 0; i < m; i++) {
        const name = g.subjects[g.subjectIndex[i]];
        let si = bySubject.get(name);
        if (si === undefined) {
          si = subjects.length;
          bySubject.set(name, si);
          subjects.push(name);
          expires.push(g.subjectExpiresAt?.[g.subjectIndex[i]] ?? Infinity);
        }
        subjectIndex[n + i] = si;
        faceIds.push(g.faceIds[i]);
        createdAt[n + i] = g.createdAt?.[i] ?? Infinity;
      }
      n += m;
    }
    placed ??= placeRows(0, 0, options);
    const rows = placed.kernel
      ? new Int8Array(placed.kernel.memory.buffer, 0, n * dim)
      : placed.rows.subarray(0, n * dim);
    const gallery: Gallery = {
      dim,
      subjects,
      subjectIndex: subjectIndex.slice(0, n),
      faceIds,
      vectors: new Float32Array(0),
      createdAt: createdAt.slice(0, n),
      subjectExpiresAt: Float64Array.from(expires),
    };
    return new GalleryIndex(gallery, rows, scales.slice(0, n), placed.kernel);
  }

  /** Bytes held by the index's vectors and scales. */
  get bytes(): number {
    return this.#rows.byteLength + this.#scales.byteLength;
  }

  /** Whether the SIMD kernel is in use. */
  get simd(): boolean {
    return this.#kernel !== null;
  }

  /**
   * The faces that may not match within `window` (older than the retention cutoff, or of an
   * expired subject), from the creation times and expiries the index was built with.
   */
  expiredFaces(window: LiveWindow): ExpiredFace[] {
    return expiredFaces(this.#gallery, window);
  }

  /**
   * The `k` subjects nearest to a unit probe, nearest first (ties by subject name). With `window`,
   * faces that may not match then (retention, subject expiry) are skipped as if absent.
   * @throws {RangeError} when the probe's length is not `dim` or `k` is not a positive integer.
   */
  search(probe: ArrayLike<number>, k = 5, window?: LiveWindow): GalleryCandidate[] {
    if (probe.length !== this.dim) {
      throw new RangeError(
        `Cannot search gallery: probe has ${probe.length} dims, index ${this.dim}`,
      );
    }
    if (!Number.isInteger(k) || k < 1) {
      throw new RangeError(`k must be a positive integer, got ${k}`);
    }
    const q = quantizeInt8(probe);
    const nSubjects = this.#subjects.length;
    const best = new Float64Array(nSubjects).fill(-Infinity);
    const bestFace = new Int32Array(nSubjects).fill(-1);
    // Liveness (see live_faces.ts), inlined: an expired subject's best score starts at +Infinity,
    // so none of its faces is ever taken; a face created before the cutoff is skipped.
    const g = this.#gallery;
    const created = window === undefined ? undefined : g.createdAt;
    const cutoff = window?.createdSince ?? -Infinity;
    if (window !== undefined && g.subjectExpiresAt !== undefined) {
      const expires = g.subjectExpiresAt;
      for (let si = 0; si < nSubjects; si++) if (!(expires[si] > window.now)) best[si] = Infinity;
    }
    const consider = (i: number, dot: number) => {
      if (created !== undefined && created[i] < cutoff) return;
      const d = dot * this.#scales[i];
      const si = this.#subjectIndex[i];
      if (d > best[si]) {
        best[si] = d;
        bestFace[si] = i;
      }
    };
    const dim = this.dim, n = this.size, rows = this.#rows;
    if (this.#kernel) {
      const buf = this.#kernel.memory.buffer;
      new Int8Array(buf, this.#probePtr, dim).set(q.data);
      const out = new Int32Array(buf, this.#outPtr, CHUNK);
      for (let start = 0; start < n; start += CHUNK) {
        const m = Math.min(CHUNK, n - start);
        this.#kernel.dots(start * dim, this.#probePtr, m, dim, this.#outPtr);
        for (let r = 0; r < m; r++) consider(start + r, out[r]);
      }
    } else {
      const p = q.data;
      for (let i = 0, off = 0; i < n; i++, off += dim) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
        for (; j + 3 < dim; j += 4) {
          s0 += rows[off + j] * p[j];
          s1 += rows[off + j + 1] * p[j + 1];
          s2 += rows[off + j + 2] * p[j + 2];
          s3 += rows[off + j + 3] * p[j + 3];
        }
        for (; j < dim; j++) s0 += rows[off + j] * p[j];
        consider(i, s0 + s1 + s2 + s3);
      }
    }
    const top: number[] = [];
    const better = (a: number, b: number) =>
      best[a] > best[b] || (best[a] === best[b] && this.#subjects[a] < this.#subjects[b]);
    for (let si = 0; si < nSubjects; si++) {
      if (bestFace[si] < 0) continue;
      if (top.length < k || better(si, top[top.length - 1])) {
        if (top.length === k) top.pop();
        let pos = top.length;
        while (pos > 0 && better(si, top[pos - 1])) pos--;
        top.splice(pos, 0, si);
      }
    }
    return top.map((si) => {
      const dot = Math.max(-1, Math.min(1, best[si] * q.scale));
      const distance = Math.sqrt(Math.max(0, 2 - 2 * dot));
      return {
        subject: this.#subjects[si],
        distance,
        similarity: dot,
        face_id: this.#faceIds[bestFace[si]],
      };
    });
  }
}
