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
  /**
   * Creation time of each face in ms since the epoch, parallel to `faceIds` (retention: a face
   * created before the collection's retention window never matches). Default: unknown (never too
   * old).
   */
  createdAt?: Float64Array;
  /**
   * Expiry of each subject in ms since the epoch, parallel to `subjects`; `Infinity` for a subject
   * without one. Default: no subject expires.
   */
  subjectExpiresAt?: Float64Array;
}
