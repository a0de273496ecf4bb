/**
 * Compare: are the faces of two images the same person (1:1, nothing stored)?
 *
 * @module
 */
import type { FaceSelection, Rotation } from "../pipeline/mod.ts";
import { l2Distance } from "../match/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { ThresholdOptions } from "./choose_threshold.ts";
import { type Caller, decideThreshold } from "./decide_threshold.ts";
import { embedProbe } from "./_analyze_probe.ts";
import { type MatchDecision, matchDecision } from "./_match_decision.ts";
import { type Box, roundBox } from "../detect/mod.ts";

/** Options for {@linkcode compareImages}. */
export interface CompareImagesOptions extends ThresholdOptions {
  /** Which face of each image: `largest`, `center`, `primary`, `single`. Default: `"largest"`. */
  face?: FaceSelection;
  /** Who asks (a looser threshold needs an admin). Default: trusted (admin). */
  caller?: Caller;
}

/** The answer of {@linkcode compareImages}. */
export type Comparison = MatchDecision & {
  /** The clockwise turn applied to each photo, when either had to be turned. */
  rotation?: { a: Rotation; b: Rotation };
  /** The face of each image that was compared (px of the image as turned by `rotation`). */
  boxes: { a: Box; b: Box };
  /** Where the threshold came from: the default policy or the request. */
  threshold_source: "policy" | "request";
  /** The embedder id. */
  model: string;
};

/**
 * Embeds the chosen face of images `a` and `b` and decides at the default verify policy (the
 * manifest's threshold), or the request's stricter `threshold` / `far`.
 *
 * @throws {FaceError} As the pipeline does, naming the image (`details.field` `a` or `b`);
 *   `invalid_request` for an unknown `far` preset; `policy_violation` for a looser threshold
 *   from a caller that is not an admin.
 */
export async function compareImages(
  deps: UseCaseDeps,
  a: Uint8Array,
  b: Uint8Array,
  options: CompareImagesOptions = {},
): Promise<Comparison> {
  const decided = await decideThreshold(deps, {
    kind: "verify",
    request: options,
    caller: options.caller,
  });
  const face = options.face ?? "largest";
  const fa = await embedProbe(deps, a, face, "a");
  const fb = await embedProbe(deps, b, face, "b");
  const turned = fa.rotation || fb.rotation ? { rotation: { a: fa.rotation, b: fb.rotation } } : {};
  return {
    ...matchDecision(l2Distance(fa.embedding, fb.embedding), decided.threshold),
    ...turned,
    boxes: { a: roundBox(fa.box), b: roundBox(fb.box) },
    threshold_source: decided.source,
    model: deps.model,
  };
}
