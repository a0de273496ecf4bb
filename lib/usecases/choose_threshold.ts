/**
 * The threshold of a match decision: the request's explicit `threshold`, else its `far` preset,
 * else the calibrated default of the decision kind.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { FarPreset, MatchThresholds } from "./match_thresholds.ts";

/** How a request may set the threshold of a decision; absent fields were not given. */
export interface ThresholdOptions {
  /** Explicit L2 threshold in `(0, 2]`. Default: the calibrated value. */
  threshold?: number;
  /** FAR preset naming a calibrated threshold (not with `threshold`). Default: none. */
  far?: FarPreset;
}

/**
 * Picks the threshold a decision uses.
 *
 * @param options What the request asked for.
 * @param thresholds The thresholds in force.
 * @param kind `verify` (1:1: verify, compare) or `identify` (1:K).
 * @returns An L2 distance threshold.
 * @throws {FaceError} `invalid_request` when `far` names a preset the manifest has no value for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseThreshold } from "./choose_threshold.ts";
 * const t = { verify: 1.15, identify: 1.05, far: { "1e-3": 0.9 }, fallbacks: [] };
 * assert.equal(chooseThreshold({}, t, "identify"), 1.05);
 * assert.equal(chooseThreshold({ far: "1e-3" }, t, "verify"), 0.9);
 * assert.equal(chooseThreshold({ threshold: 0.5 }, t, "verify"), 0.5);
 * assert.throws(() => chooseThreshold({ far: "1e-4" }, t, "verify"), { code: "invalid_request" });
 * ```
 */
export function chooseThreshold(
  options: ThresholdOptions,
  thresholds: MatchThresholds,
  kind: "verify" | "identify",
): number {
  if (options.threshold !== undefined) return options.threshold;
  if (options.far !== undefined) {
    const t = thresholds.far[options.far];
    if (t === undefined) {
      throw new FaceError(
        "invalid_request",
        `Cannot use far=${options.far}: the model has no calibrated threshold for it`,
        { details: { field: "far", available: Object.keys(thresholds.far) } },
      );
    }
    return t;
  }
  return thresholds[kind];
}
