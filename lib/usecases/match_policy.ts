/**
 * The storage half of the match policy: each collection's policy (stored with the collection,
 * defaulting to the manifest's calibrated thresholds), read, validated and set. The thresholds it
 * puts in force are applied by `decide_threshold.ts`: a request may only make a decision stricter;
 * a looser request is refused (`policy_violation`) unless the caller is an admin, and then it is
 * logged as an audit event.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type PolicyThreshold, type StoredPolicy, validateName } from "../store/mod.ts";
import { forCollection } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { FAR_PRESETS } from "./match_thresholds.ts";
import { defaultLivenessThreshold, parseLivenessPolicy } from "./liveness_rule.ts";
import { type Caller, MAX_FPIR, type PolicyRule, rule } from "./decide_threshold.ts";

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

/** Longest retention period a collection may set, in days (10 years). */
export const MAX_RETENTION_DAYS = 3650;

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
