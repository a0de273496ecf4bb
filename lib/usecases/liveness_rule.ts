/**
 * The liveness requirement of a match or an enrolment: from the collection's policy (an operator's
 * rule that clients cannot skip) or from the request (`liveness=true`, ad hoc), and the verdict on
 * a probe face.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { LivenessPolicy, StoredPolicy } from "../store/mod.ts";
import type { LivenessScore } from "../liveness/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { Caller } from "./decide_threshold.ts";
import { l2Distance } from "../match/mod.ts";
import { round4 } from "./_match_decision.ts";

/** The liveness options of a request. */
export interface LivenessRequest {
  /**
   * `true` asks for the passive check ad hoc; `false` asks to skip a policy's requirement (an admin
   * only, audited). Default: the policy decides.
   */
  liveness?: boolean;
  /** A token of a passed liveness challenge (`POST /v1/liveness/sessions`). Default: none. */
  liveness_token?: string;
}

/** The liveness rule in force for one request. */
export interface LivenessRule {
  /** `passive`: the model judges the probe; `challenge`: a token of a passed challenge. */
  mode: "passive" | "challenge";
  /** Bona fide score at or above which a face is live. */
  threshold: number;
  /** `policy`: the collection requires it; `request`: the request asked for it. */
  source: "policy" | "request";
}

/** Why a face was not judged live. */
export type LivenessReason =
  | "not_live"
  | "insufficient_context"
  | "challenge_required"
  | "challenge_face_mismatch";

/** The liveness part of an answer. */
export interface LivenessVerdict {
  /** Whether the probe was judged live. */
  live: boolean;
  /** The passive model's bona fide score (0..1), or null when it could not judge. */
  score: number | null;
  /** The threshold the verdict used. */
  threshold: number;
  /** How it was judged. */
  mode: "passive" | "challenge";
  /** Where the requirement came from. */
  source: "policy" | "request";
  /** Why it is not live; absent when live. */
  reason?: LivenessReason;
}

/** The manifest's calibrated passive threshold (model_unavailable when there is no model). */
export function defaultLivenessThreshold(deps: UseCaseDeps): number {
  const entry = deps.pipeline.manifest.liveness;
  if (!entry) {
    throw new FaceError(
      "model_unavailable",
      "Cannot judge liveness: no liveness model is installed",
    );
  }
  return entry.threshold;
}

/**
 * The rule of one request: the policy's requirement, else the request's `liveness=true`, else none
 * (null: nothing is checked and nothing costs). `liveness=false` against a requiring policy is a
 * `policy_violation` for anyone but an admin, and audited (`liveness_skipped`) for an admin.
 *
 * @throws {FaceError} `policy_violation`; `model_unavailable` when no liveness model is installed.
 */
export async function livenessRule(
  deps: UseCaseDeps,
  input: {
    collection?: string;
    policy: StoredPolicy | null;
    request: LivenessRequest;
    caller?: Caller;
    action: string;
  },
): Promise<LivenessRule | null> {
  const required = input.policy?.liveness?.required === true ? input.policy.liveness : undefined;
  if (required) {
    if (input.request.liveness === false) {
      const caller = input.caller ?? { admin: false };
      if (!caller.admin) {
        throw new FaceError(
          "policy_violation",
          `Cannot ${input.action} without liveness: collection ${input.collection}'s match policy ` +
            "requires it; only an admin key may skip it",
          { details: { liveness: required } },
        );
      }
      await deps.audit?.({
        action: "liveness_skipped",
        key_id: caller.keyId,
        request_id: caller.requestId,
        collection: input.collection,
        decision: input.action,
      });
      return null;
    }
    return {
      mode: required.mode ?? "passive",
      threshold: required.threshold ?? defaultLivenessThreshold(deps),
      source: "policy",
    };
  }
  if (input.request.liveness === true) {
    return { mode: "passive", threshold: defaultLivenessThreshold(deps), source: "request" };
  }
  return null;
}

/**
 * The passive verdict on a face scored by the pipeline: live when judged and at or above the
 * threshold; a face the model could not judge (too little context) is never live.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passiveVerdict } from "./liveness_rule.ts";
 * const rule = { mode: "passive", threshold: 0.5, source: "policy" } as const;
 * assert.equal(passiveVerdict(rule, { score: 0.93, context: 2.7, judged: true }).live, true);
 * assert.equal(passiveVerdict(rule, { score: 0.2, context: 2.7, judged: true }).reason, "not_live");
 * assert.equal(
 *   passiveVerdict(rule, { score: NaN, context: 1.1, judged: false }).reason,
 *   "insufficient_context",
 * );
 * ```
 */
export function passiveVerdict(
  rule: LivenessRule,
  face: LivenessScore | undefined,
): LivenessVerdict {
  const base = { threshold: rule.threshold, mode: "passive" as const, source: rule.source };
  if (!face || !face.judged) {
    return { live: false, score: null, ...base, reason: "insufficient_context" };
  }
  const score = round4(face.score);
  return face.score >= rule.threshold
    ? { live: true, score, ...base }
    : { live: false, score, ...base, reason: "not_live" };
}

/**
 * Reads a policy's `liveness` member: `{required: boolean, mode?: "passive" | "challenge",
 * threshold?: number in (0, 1)}`; null or absent: none.
 *
 * @throws {FaceError} `invalid_request` for anything else.
 */
export function parseLivenessPolicy(value: unknown): LivenessPolicy | undefined {
  const bad = (why: string) =>
    new FaceError("invalid_request", `Cannot set match policy: liveness ${why}`, {
      details: { field: "liveness" },
    });
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw bad("must be an object");
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => !["required", "mode", "threshold"].includes(k));
  if (extra.length) throw bad(`has an unknown field ${extra[0]}`);
  if (typeof v.required !== "boolean") throw bad("required must be true or false");
  const out: LivenessPolicy = { required: v.required };
  if (v.mode !== undefined) {
    if (v.mode !== "passive" && v.mode !== "challenge") {
      throw bad('mode must be "passive" or "challenge"');
    }
    out.mode = v.mode;
  }
  if (v.threshold !== undefined) {
    const t = v.threshold;
    if (typeof t !== "number" || !(t > 0 && t < 1)) throw bad("threshold must be in (0, 1)");
    out.threshold = t;
  }
  return out;
}

/**
 * The verdict of a rule on a probe: `passive` reads the pipeline's score of the probe face;
 * `challenge` redeems the request's token (single use) and requires the face that passed the
 * challenge to be the probe's (L2 distance within `faceThreshold`).
 *
 * @throws {FaceError} `liveness_required` when a challenge is required and no token is given;
 *   `invalid_liveness_token`; `store_unavailable`.
 */
export async function judgeProbe(
  deps: UseCaseDeps,
  rule: LivenessRule,
  probe: { embedding: Float32Array; liveness?: LivenessScore },
  request: LivenessRequest,
  faceThreshold: number,
): Promise<LivenessVerdict> {
  if (rule.mode === "passive") return passiveVerdict(rule, probe.liveness);
  if (!request.liveness_token) {
    throw new FaceError(
      "liveness_required",
      "Cannot match: this collection requires a liveness challenge; run one " +
        "(POST /v1/liveness/sessions) and send its liveness_token",
    );
  }
  if (!deps.livenessTokens) {
    throw new FaceError(
      "invalid_liveness_token",
      "Cannot redeem liveness token: none are issued here",
    );
  }
  const redeemed = await deps.livenessTokens.redeem(request.liveness_token);
  const base = { threshold: rule.threshold, mode: "challenge" as const, source: rule.source };
  const score = round4(redeemed.score);
  if (redeemed.model !== deps.model || redeemed.embedding.length !== probe.embedding.length) {
    return { live: false, score, ...base, reason: "challenge_face_mismatch" };
  }
  if (l2Distance(probe.embedding, redeemed.embedding) > faceThreshold) {
    return { live: false, score, ...base, reason: "challenge_face_mismatch" };
  }
  return redeemed.score >= rule.threshold
    ? { live: true, score, ...base }
    : { live: false, score, ...base, reason: "not_live" };
}
