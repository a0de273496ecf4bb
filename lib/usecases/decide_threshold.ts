/**
 * The decision half of the match policy: the threshold in force for one verify or identify (the
 * collection's rule, or for identify the one its FPIR target gives over the gallery's size), and a
 * request's threshold only when stricter, or looser from an admin (audited).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type PolicyThreshold, type StoredPolicy } from "../store/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { chooseThreshold, type ThresholdOptions } from "./choose_threshold.ts";
import { DEFAULT_IDENTIFY_FPIR, type FarPreset } from "./match_thresholds.ts";
import { estimateFpir, openSetThreshold } from "../match/mod.ts";

/**
 * Who is asking: the key's id and whether it is an admin (auth off: trusted, like an admin).
 * Only an explicit `admin: true` may loosen a decision: a missing caller never counts as admin.
 */
export interface Caller {
  /** Whether the caller may loosen a decision (role `admin`, or auth off). */
  admin: boolean;
  /** The API key id (not secret), for audit events. */
  keyId?: string;
  /** The request id, for audit events. */
  requestId?: string;
}

/**
 * Who asks, from how the server authenticates: with auth off (development, and the CLIs' local
 * mode) every caller is trusted like an admin; with keys, only an `admin` key may loosen a
 * decision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { callerUnder } from "./decide_threshold.ts";
 * assert.equal(callerUnder("off", {}).admin, true);
 * assert.equal(callerUnder("keys", { role: "verify", keyId: "k" }).admin, false);
 * assert.equal(callerUnder("keys", { role: "admin", keyId: "k" }).admin, true);
 * ```
 */
export function callerUnder(
  auth: "off" | "keys",
  key: { role?: string; keyId?: string },
  requestId?: string,
): Caller {
  return { admin: auth === "off" || key.role === "admin", keyId: key.keyId, requestId };
}

/** The open-set rate an identify answer stands at (from the recipe's impostor FAR curve). */
export interface FpirStatement {
  /** The FPIR the collection's policy targets (default 0.01), or null for a fixed threshold. */
  target: number | null;
  /** The estimated FPIR at the threshold used over `faces` faces (≤ `target` when derived). */
  estimated: number;
  /** The gallery's face count the threshold was derived for. */
  faces: number;
}

/** The threshold a decision used and where it came from. */
export interface DecidedThreshold {
  /** The L2 threshold. */
  threshold: number;
  /** `policy`: the collection's policy (or the manifest's default); `request`: the request's. */
  source: "policy" | "request";
  /** identify with a calibrated impostor FAR curve: the FPIR targeted and estimated. */
  fpir?: FpirStatement;
}

/** One decision of a policy as answered. */
export interface PolicyRule {
  /** The L2 threshold in force. */
  threshold: number;
  /** The FAR preset it comes from, when it is one. */
  far?: string;
  /**
   * identify: the FPIR target the threshold follows; `threshold` is then its loosest value (each
   * identify answer gives the one in force for the gallery's face count).
   */
  fpir?: number;
  /** `policy` when the collection sets it, `default` for the manifest's calibrated value. */
  source: "policy" | "default";
}

/** Largest FPIR target an identify policy may set. */
export const MAX_FPIR = 0.5;

/** Floors a threshold to 4 decimals (never looser than computed). */
export const floor4 = (t: number) => Math.floor(t * 1e4) / 1e4;

/**
 * The identify threshold of the policy for a gallery of `faces` faces: a fixed threshold or FAR
 * preset as set; otherwise (an `fpir` rule, or no rule: {@linkcode DEFAULT_IDENTIFY_FPIR}) the
 * one whose estimated FPIR over `faces` is the target, never looser than the recipe's identify
 * default. Without a calibrated curve or a face count: the fixed default.
 */
export function identifyPolicy(
  deps: UseCaseDeps,
  p: PolicyThreshold | undefined,
  faces: number | undefined,
): { threshold: number; fpir?: FpirStatement } {
  const curve = deps.thresholds.impostorFar;
  const fixed = rule(deps, "identify", p);
  if (!curve || faces === undefined) return { threshold: fixed.threshold };
  if (fixed.fpir === undefined) {
    const estimated = estimateFpir(curve, { faces, threshold: fixed.threshold }).fpir;
    return { threshold: fixed.threshold, fpir: { target: null, estimated, faces } };
  }
  const derived = openSetThreshold(curve, {
    faces,
    fpir: fixed.fpir,
    cap: deps.thresholds.identify,
  });
  const threshold = floor4(derived.threshold);
  const estimated = estimateFpir(curve, { faces, threshold }).fpir;
  return { threshold, fpir: { target: fixed.fpir, estimated, faces } };
}

export function rule(
  deps: UseCaseDeps,
  kind: "verify" | "identify",
  p?: PolicyThreshold,
): PolicyRule {
  const byFpir = kind === "identify" && deps.thresholds.impostorFar !== undefined;
  if (p === undefined) {
    return byFpir
      ? { threshold: deps.thresholds.identify, fpir: DEFAULT_IDENTIFY_FPIR, source: "default" }
      : { threshold: deps.thresholds[kind], source: "default" };
  }
  if ("fpir" in p) {
    return byFpir
      ? { threshold: deps.thresholds.identify, fpir: p.fpir, source: "policy" }
      : { threshold: deps.thresholds[kind], source: "default" };
  }
  if ("threshold" in p) return { threshold: p.threshold, source: "policy" };
  const t = deps.thresholds.far[p.far as FarPreset];
  // A preset the manifest no longer carries falls back to the calibrated default.
  return t === undefined
    ? { threshold: deps.thresholds[kind], source: "default" }
    : { threshold: t, far: p.far, source: "policy" };
}

/**
 * The threshold of one decision: the policy's unless the request asks for a stricter one.
 *
 * @param input `collection` undefined (compare) means the manifest's defaults.
 * @throws {FaceError} `policy_violation` when the request is looser and the caller is not an
 *   admin; `invalid_request` for an unknown `far` preset; `store_unavailable`.
 */
export async function decideThreshold(
  deps: UseCaseDeps,
  input: {
    collection?: string;
    kind: "verify" | "identify";
    request: ThresholdOptions;
    /** Who asks; required, so every caller says it. Undefined is not an admin (no loosening). */
    caller: Caller | undefined;
    /** The collection's policy when the caller has read it already. Default: read here. */
    policy?: StoredPolicy | null;
    /**
     * identify: the gallery's face count, for a threshold that follows it (an FPIR target).
     * Default: unknown (the recipe's fixed identify threshold).
     */
    faces?: number;
  },
): Promise<DecidedThreshold> {
  const { kind, request } = input;
  const p = input.collection === undefined
    ? null
    : input.policy !== undefined
    ? input.policy
    : deps.policies
    ? await deps.policies.get({ model: deps.model, collection: input.collection })
    : null;
  const open = kind === "identify" ? identifyPolicy(deps, p?.identify, input.faces) : undefined;
  const policy = open ? open.threshold : rule(deps, kind, p?.[kind]).threshold;
  const curve = deps.thresholds.impostorFar;
  const statement = (threshold: number) =>
    open?.fpir && curve
      ? {
        fpir: {
          ...open.fpir,
          estimated: estimateFpir(curve, { faces: open.fpir.faces, threshold }).fpir,
        },
      }
      : {};
  if (request.threshold === undefined && request.far === undefined) {
    return { threshold: policy, source: "policy", ...statement(policy) };
  }
  const asked = chooseThreshold(request, deps.thresholds, kind);
  if (asked <= policy) return { threshold: asked, source: "request", ...statement(asked) };
  const caller: Caller = input.caller ?? { admin: false };
  const where = input.collection === undefined ? "the default" : `collection ${input.collection}'s`;
  if (!caller.admin) {
    throw new FaceError(
      "policy_violation",
      `Cannot ${kind} at threshold ${asked}: ${where} match policy allows at most ${policy}; ` +
        "only an admin key may loosen it",
      { details: { threshold: asked, policy_threshold: policy } },
    );
  }
  await deps.audit?.({
    action: "decision_loosened",
    key_id: caller.keyId,
    request_id: caller.requestId,
    collection: input.collection,
    decision: kind,
    threshold: asked,
    policy_threshold: policy,
  });
  return { threshold: asked, source: "request", ...statement(asked) };
}
