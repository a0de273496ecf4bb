/**
 * Detect: the faces, landmarks and quality of an image, without embeddings.
 *
 * @module
 */
import type { Analysis, FaceSelection } from "../pipeline/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { analyze } from "./_analyze_probe.ts";

/** Options for {@linkcode detectImage}. */
export interface DetectImageOptions {
  /** Which faces: `all`, `largest`, `center`, `primary`, `single`. Default: `"all"`. */
  face?: FaceSelection;
}

/**
 * Detects the faces of an image. No face is not an error here: `faces` is empty.
 *
 * @param deps See {@linkcode UseCaseDeps}.
 * @param image The encoded image.
 * @param options See {@linkcode DetectImageOptions}.
 * @returns The analysis (size, faces with boxes, landmarks and quality, stage timings).
 * @throws {FaceError} The decoder's errors; `multiple_faces` for `single`; `model_unavailable`.
 */
export function detectImage(
  deps: UseCaseDeps,
  image: Uint8Array,
  options: DetectImageOptions = {},
): Promise<Analysis> {
  return analyze(deps, image, { select: options.face ?? "all", embed: false });
}
