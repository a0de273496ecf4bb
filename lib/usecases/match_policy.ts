/**
 * Who decides a match: each collection's match policy (stored with the collection, defaulting to
 * the manifest's calibrated thresholds) sets the thresholds in force; a request may only make a
 * decision stricter. A looser request is refused (`policy_violation`) unless the caller is an
 * admin, and then it is logged as an audit event.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type PolicyThreshold, type StoredPolicy, validateName } from "../store/mod.ts";
import { forCollection } from "./collection_deps.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { chooseThreshold, type ThresholdOptions } from "./choose_threshold.ts";
import { DEFAULT_IDENTIFY_FPIR, FAR_PRESETS, type FarPreset } from "./match_thresholds.ts";
import { estimateFpir, openSetThreshold } from "../match/mod.ts";
import { defaultLivenessThreshold, parseLivenessPolicy } from "./liveness_rule.ts";

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

/** A collection's match policy as answered by the policy routes. */
export interface PolicyView {
  /** The collection. */
  collection: string;
  /** The rule of verify (1:1). */
  verify: PolicyRule;
  /** The rule of identify (1:K). */
  identify: PolicyRule;
  /**
   * How long a face may match after its enrolment (older faces never match and are purged), or
   * null when faces are kept until deleted.
   */
  retention: { days: number } | null;
  /**
   * The liveness requirement (mode and threshold in force), or null when the collection requires
   * none (a request may still ask with `liveness=true`).
   */
  liveness: { required: boolean; mode: "passive" | "challenge"; threshold: number } | null;
  /** When the collection's policy was last set, or null when it has none (all defaults). */
  updated_at: string | null;
}

/** Largest FPIR target an identify policy may set. */
export const MAX_FPIR = 0.5;

/** Floors a threshold to 4 decimals (never looser than computed). */
const floor4 = (t: number) => Math.floor(t * 1e4) / 1e4;

/**
 * The identify threshold of the policy for a gallery of `faces` faces: a fixed threshold or FAR
 * preset as set; otherwise (an `fpir` rule, or no rule: {@linkcode DEFAULT_IDENTIFY_FPIR}) the
 * one whose estimated FPIR over `faces` is the target, never looser than the recipe's identify
 * default. Without a calibrated curve or a face count: the fixed default.
 */
function identifyPolicy(
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

/** Longest retention period a collection may set, in days (10 years). */
export const MAX_RETENTION_DAYS = 3650;

function rule(deps: UseCaseDeps, kind: "verify" | "identify", p?: PolicyThreshold): PolicyRule {
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
 * The collection's stored policy (thresholds and retention), or null when none was set.
 *
 * @throws {FaceError} `store_unavailable`.
 */
export async function readPolicy(
  deps: UseCaseDeps,
  collection: string,
): Promise<StoredPolicy | null> {
  return await stored(deps, collection);
}

async function stored(deps: UseCaseDeps, collection: string): Promise<StoredPolicy | null> {
  return deps.policies ? await deps.policies.get({ model: deps.model, collection }) : null;
}

/**
 * The collection's match policy.
 *
 * @throws {FaceError} `invalid_request` for a bad name; `store_unavailable`.
 */
export async function getMatchPolicy(
  deps: UseCaseDeps,
  input: { collection: string },
): Promise<PolicyView> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const p = await stored(deps, collection);
  return {
    collection,
    verify: rule(deps, "verify", p?.verify),
    identify: rule(deps, "identify", p?.identify),
    retention: p?.retention ? { days: p.retention.days } : null,
    liveness: p?.liveness
      ? {
        required: p.liveness.required,
        mode: p.liveness.mode ?? "passive",
        threshold: p.liveness.threshold ?? defaultLivenessThreshold(deps),
      }
      : null,
    updated_at: p?.updated_at ?? null,
  };
}

function parseRetention(value: unknown): { days: number } | undefined {
  const bad = (why: string) =>
    new FaceError("invalid_request", `Cannot set match policy: retention ${why}`, {
      details: { field: "retention" },
    });
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw bad("must be an object");
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== "days") throw bad("must be {days: number}");
  const days = (value as { days: unknown }).days;
  if (
    typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS
  ) {
    throw bad(`days must be an integer in 1..${MAX_RETENTION_DAYS}`);
  }
  return { days };
}

function parseRule(value: unknown, field: string, deps: UseCaseDeps): PolicyThreshold | undefined {
  const bad = (why: string) =>
    new FaceError("invalid_request", `Cannot set match policy: ${field} ${why}`, {
      details: { field },
    });
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw bad("must be an object");
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  const fpirAllowed = field === "identify" && deps.thresholds.impostorFar !== undefined;
  if (keys.length === 1 && keys[0] === "fpir" && fpirAllowed) {
    const f = v.fpir;
    if (typeof f !== "number" || !(f > 0 && f <= MAX_FPIR)) {
      throw bad(`fpir must be in (0, ${MAX_FPIR}]`);
    }
    return { fpir: f };
  }
  if (keys.length !== 1 || !(keys[0] === "threshold" || keys[0] === "far")) {
    throw bad(
      `must be {threshold: number} or {far: preset}${fpirAllowed ? " or {fpir: number}" : ""}`,
    );
  }
  if (keys[0] === "threshold") {
    const t = v.threshold;
    if (typeof t !== "number" || !(t > 0 && t <= 2)) throw bad("threshold must be in (0, 2]");
    return { threshold: t };
  }
  const far = FAR_PRESETS.find((p) => p === v.far);
  if (!far || deps.thresholds.far[far] === undefined) {
    throw bad(`far must be one of ${Object.keys(deps.thresholds.far).join(", ")}`);
  }
  return { far };
}

/**
 * Sets (replaces) the collection's match policy: `{verify?, identify?, retention?}`, each decision
 * `{threshold}` or `{far}` (absent or null: the manifest's calibrated default), `retention`
 * `{days}` in 1..{@linkcode MAX_RETENTION_DAYS} (absent or null: none), `liveness`
 * `{required, mode?, threshold?}` (absent or null: none; a threshold never below the calibrated
 * one). Audited (`policy_set`).
 *
 * @param input `policy` is the request body as parsed JSON.
 * @throws {FaceError} `invalid_request` for a bad name or policy; `store_unavailable`.
 */
export async function setMatchPolicy(
  deps: UseCaseDeps,
  input: { collection: string; policy: unknown; caller?: Caller; now?: Date },
): Promise<PolicyView> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const body = input.policy;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new FaceError("invalid_request", "Cannot set match policy: the body must be an object");
  }
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) =>
    !["verify", "identify", "retention", "liveness"].includes(k)
  );
  if (extra.length) {
    throw new FaceError("invalid_request", `Cannot set match policy: unknown field ${extra[0]}`, {
      details: { field: extra[0] },
    });
  }
  if (!deps.policies) throw new TypeError("setMatchPolicy: deps.policies is missing");
  const now = input.now ?? deps.now?.() ?? new Date();
  const policy: StoredPolicy = { updated_at: now.toISOString() };
  const verify = parseRule(b.verify, "verify", deps);
  const identify = parseRule(b.identify, "identify", deps);
  const retention = parseRetention(b.retention);
  const liveness = parseLivenessPolicy(b.liveness);
  if (liveness) {
    const calibrated = defaultLivenessThreshold(deps);
    if (liveness.threshold !== undefined && liveness.threshold < calibrated) {
      throw new FaceError(
        "invalid_request",
        `Cannot set match policy: liveness threshold ${liveness.threshold} is looser than the ` +
          `calibrated ${calibrated}`,
        { details: { field: "liveness" } },
      );
    }
  }
  if (verify) policy.verify = verify;
  if (identify) policy.identify = identify;
  if (retention) policy.retention = retention;
  if (liveness) policy.liveness = liveness;
  await deps.policies.set({ model: deps.model, collection }, policy);
  await deps.audit?.({
    action: "policy_set",
    key_id: input.caller?.keyId,
    request_id: input.caller?.requestId,
    collection,
    verify: policy.verify ?? null,
    identify: policy.identify ?? null,
    retention: policy.retention ?? null,
    liveness: policy.liveness ?? null,
  });
  return await getMatchPolicy(deps, { collection });
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
    : await stored(deps, input.collection);
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
