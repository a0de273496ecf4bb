/**
 * Helpers of the image routes' HTTP layer: rounding for responses and the documented problems.
 *
 * @module
 */
import type { AnalyzedFace } from "../lib/pipeline/mod.ts";
import type { FaceErrorCode } from "../lib/errors.ts";

/** A box rounded to 0.1 px for responses. */
export function roundBox(box: AnalyzedFace["box"]): AnalyzedFace["box"] {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
}

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
