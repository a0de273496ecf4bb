/**
 * The packed gallery that matching scans: produced by the stores (`FaceStore.gallery`), consumed
 * by `searchGallery`, `GalleryIndex` and `GalleryCache`. Defined here so `lib/match` imports
 * nothing from `lib/store`.
 *
 * @module
 */

/**
 * Every face of a collection packed for a linear scan: row `i` of `vectors` (length `dim`) is face
 * `faceIds[i]` of subject `subjects[subjectIndex[i]]`.
 */
export interface Gallery {
  dim: number;
  subjects: string[];
  subjectIndex: Int32Array;
  faceIds: string[];
  vectors: Float32Array;
}
