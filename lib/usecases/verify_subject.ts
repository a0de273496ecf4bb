/**
 * Verify: is this the claimed subject (1:1 against the subject's enrolled faces)?
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type Box, roundBox } from "../detect/mod.ts";
import type { FaceSelection, Rotation } from "../pipeline/mod.ts";
import { scoreSubject } from "../match/mod.ts";
import { validateName } from "../store/mod.ts";
import { forCollection } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { ThresholdOptions } from "./choose_threshold.ts";
import { readPolicy } from "./match_policy.ts";
import { type Caller, decideThreshold } from "./decide_threshold.ts";
import { isLiveRecord, liveWindow } from "./retention.ts";
import {
  judgeProbe,
  type LivenessRequest,
  livenessRule,
  type LivenessVerdict,
} from "./liveness_rule.ts";
import { embedProbe, rotationField } from "./_analyze_probe.ts";
import { collectionNotFound } from "./_collection_not_found.ts";
import { type MatchDecision, matchDecision } from "./_match_decision.ts";

/** What to verify. */
export interface VerifySubjectInput extends ThresholdOptions, LivenessRequest {
  /** Collection name. */
  collection: string;
  /** The claimed subject. */
  subject: string;
  /** The encoded probe image. */
  image: Uint8Array;
  /** Which face of the probe: `largest`, `center`, `primary`, `single`. Default: `"largest"`. */
  face?: FaceSelection;
  /** Who asks (a looser threshold needs an admin). Default: trusted (admin). */
  caller?: Caller;
}

/** The answer of {@linkcode verifySubject}. */
export type Verification = { subject: string } & MatchDecision & {
  /** Where the threshold came from: the collection's policy or the request. */
  threshold_source: "policy" | "request";
  /** The enrolled face that scored (the nearest one with the `nearest` strategy). */
  face_id: string;
  /** The clockwise turn applied to the probe, when it had to be turned. */
  rotation?: Rotation;
  /** The probe face that was scored (px of the probe as turned by `rotation`). */
  box: Box;
  /** The embedder id. */
  model: string;
  /**
   * The liveness verdict when the collection's policy or the request asked for one: `match` is
   * false whenever `liveness.live` is false.
   */
  liveness?: LivenessVerdict;
};

/**
 * Scores the probe face against the subject's faces (configured match strategy) and decides at
 * the collection's verify policy, or the request's stricter `threshold` / `far`. Faces older than
 * the collection's retention period and the faces of an expired subject are absent: a subject
 * without a live face answers as one that is not enrolled. When the collection's policy requires
 * liveness (or the request asks, `liveness: true`), the probe is judged too and a face judged not
 * live never matches (`liveness.reason` says why).
 *
 * @throws {FaceError} `invalid_request` (names, unknown `far`), `policy_violation`, `liveness_required`, `invalid_liveness_token`,
 *   `subject_not_found`, the
 *   pipeline's errors, `store_unavailable`.
 */
export async function verifySubject(
  deps: UseCaseDeps,
  input: VerifySubjectInput,
): Promise<Verification> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  const policy = await readPolicy(deps, collection);
  const decided = await decideThreshold(deps, {
    collection,
    kind: "verify",
    request: input,
    caller: input.caller,
    policy,
  });
  const rule = await livenessRule(deps, {
    collection,
    policy,
    request: input,
    caller: input.caller,
    action: "verify",
  });
  const window = liveWindow(deps, policy);
  const record = await deps.store.getSubject({ model: deps.model, collection }, subject);
  const live = record?.faces.filter((f) => isLiveRecord(record, f, window)) ?? [];
  if (record && live.length < record.faces.length) deps.backgroundPurge?.request(deps, collection);
  if (live.length === 0) {
    const page = await deps.store.listSubjects({ model: deps.model, collection }, { limit: 1 });
    if (page.subjects.length === 0) throw collectionNotFound(collection);
    throw new FaceError("subject_not_found", `Cannot verify: subject ${subject} is not enrolled`, {
      details: { subject },
    });
  }
  const probe = await embedProbe(deps, input.image, input.face ?? "largest", undefined, {
    liveness: rule?.mode === "passive",
  });
  const liveness = rule ? await judgeProbe(deps, rule, probe, input, decided.threshold) : undefined;
  const faces = live.map((f) => f.embedding);
  const { distance, faceIndex } = scoreSubject(faces, probe.embedding, deps.matchStrategy);
  const decision = matchDecision(distance, decided.threshold);
  if (liveness && !liveness.live) decision.match = false;
  return {
    subject,
    ...decision,
    threshold_source: decided.source,
    face_id: live[faceIndex].id,
    ...rotationField(probe),
    box: roundBox(probe.box),
    model: deps.model,
    ...(liveness ? { liveness } : {}),
  };
}
