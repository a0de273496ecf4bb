/**
 * Compare: are the faces of two images the same person (1:1, nothing stored)?
 *
 * @module
 */
import type { FaceSelection, Rotation } from "../pipeline/mod.ts";
import { l2Distance } from "../match/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { chooseThreshold, type ThresholdOptions } from "./choose_threshold.ts";
import { embedProbe, type MatchDecision, matchDecision } from "./_probe.ts";

/** Options for {@linkcode compareImages}. */
export interface CompareImagesOptions extends ThresholdOptions {
  /** Which face of each image: `largest`, `center`, `primary`, `single`. Default: `"largest"`. */
  face?: FaceSelection;
}

/** The answer of {@linkcode compareImages}. */
export type Comparison = MatchDecision & {
  /** The clockwise turn applied to each photo, when either had to be turned. */
  rotation?: { a: Rotation; b: Rotation };
  model: string;
};

/**
 * Embeds the chosen face of images `a` and `b` and decides at the verify threshold (or the
 * request's `threshold` / `far`).
 *
 * @throws {FaceError} As the pipeline does, naming the image (`details.field` `a` or `b`);
 *   `invalid_request` for an unknown `far` preset.
 */
export async function compareImages(
  deps: UseCaseDeps,
  a: Uint8Array,
  b: Uint8Array,
  options: CompareImagesOptions = {},
): Promise<Comparison> {
  const threshold = chooseThreshold(options, deps.thresholds, "verify");
  const face = options.face ?? "largest";
  const fa = await embedProbe(deps, a, face, "a");
  const fb = await embedProbe(deps, b, face, "b");
  const turned = fa.rotation || fb.rotation ? { rotation: { a: fa.rotation, b: fb.rotation } } : {};
  return {
    ...matchDecision(l2Distance(fa.embedding, fb.embedding), threshold),
    ...turned,
    model: deps.model,
  };
}
