/**
 * Helpers of the image routes' HTTP layer: the documented problems (and `roundBox`, from
 * `lib/detect`).
 *
 * @module
 */
export { roundBox } from "../lib/detect/mod.ts";
import type { FaceErrorCode } from "../lib/errors.ts";

/**
 * The problems of a route that reads a probe image and embeds its face: reading the request,
 * decoding, finding the face, loading the models; `extra` (the route's own) go before the last.
 *
 * @param extra The route's own error codes, in documentation order.
 * @returns The codes for `OperationSpec.problems`.
 */
export function probeProblems(...extra: FaceErrorCode[]): FaceErrorCode[] {
  return [
    "invalid_request",
    "invalid_image",
    "image_too_large",
    "unsupported_media_type",
    "no_face",
    "multiple_faces",
    ...extra,
    "model_unavailable",
  ];
}
