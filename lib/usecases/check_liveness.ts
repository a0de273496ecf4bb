/**
 * Passive liveness of one photo (`POST /v1/liveness`): is the face a live person in front of the
 * camera, or a print, a screen, a mask?
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { Box } from "../detect/mod.ts";
import type { FaceSelection, Rotation } from "../pipeline/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { analyze } from "./_analyze_probe.ts";
import { round4 } from "./_match_decision.ts";
import { defaultLivenessThreshold } from "./liveness_rule.ts";

/** What to judge. */
export interface CheckLivenessInput {
  /** The encoded image. */
  image: Uint8Array;
  /** Which face: `largest`, `center`, `primary`, `single`. Default: `"largest"`. */
  face?: FaceSelection;
  /** A stricter threshold than the manifest's (higher). Default: the manifest's. */
  threshold?: number;
}

/** The answer of {@linkcode checkLiveness}. */
export interface LivenessAnswer {
  /** Whether the face is judged a live person (`score >= threshold`). */
  live: boolean;
  /** Probability of the bona fide class, 0..1. */
  score: number;
  /** The threshold the decision used. */
  threshold: number;
  /** The liveness model's id. */
  model: string;
  /** The judged face (px of the image as turned). */
  box: Box;
  /** The context the image allowed around the face (× the box; the model wants 2.7). */
  context: number;
  /** The clockwise turn applied to find the face, when it had to be turned. */
  rotation?: Rotation;
}

/**
 * Judges the chosen face of an image with the passive liveness model. A face that fills the frame
 * (less than the manifest's `crop.min_context` × its box fits in the image) is a non-response:
 * `insufficient_context`, never a verdict.
 *
 * @throws {FaceError} `no_face`, `multiple_faces` (for `single`), `insufficient_context`,
 *   `invalid_request` for a threshold below the calibrated one, the decoder's errors,
 *   `model_unavailable`.
 */
export async function checkLiveness(
  deps: UseCaseDeps,
  input: CheckLivenessInput,
): Promise<LivenessAnswer> {
  const calibrated = defaultLivenessThreshold(deps);
  const threshold = input.threshold ?? calibrated;
  if (!(threshold >= calibrated && threshold < 1)) {
    throw new FaceError(
      "invalid_request",
      `Cannot judge liveness at threshold ${threshold}: it must be in [${calibrated}, 1) ` +
        "(the calibrated threshold or stricter)",
      { details: { field: "threshold" } },
    );
  }
  const { faces, rotation } = await analyze(deps, input.image, {
    select: input.face ?? "largest",
    requireFace: true,
    embed: false,
    liveness: true,
  });
  const face = faces[0];
  const judged = face.liveness!;
  const entry = deps.pipeline.manifest.liveness!;
  if (!judged.judged) {
    throw new FaceError(
      "insufficient_context",
      `Cannot judge liveness: the face fills the frame (the image holds ${
        round4(judged.context)
      }× the face box around it; the model needs at least ${entry.crop.min_context}×). ` +
        "Step back from the camera or send the whole frame, not a crop of the face",
      { details: { context: round4(judged.context), min_context: entry.crop.min_context } },
    );
  }
  return {
    live: judged.score >= threshold,
    score: round4(judged.score),
    threshold,
    model: entry.id,
    box: face.box,
    context: round4(judged.context),
    ...(rotation ? { rotation } : {}),
  };
}
