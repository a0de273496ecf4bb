/**
 * The options of a match or analysis request (which face, threshold or FAR preset, k, liveness,
 * expiry) read from strings, as the routes (query string, body fields) and the CLIs (flags) give
 * them, with the one set of rules and messages.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { FaceSelection } from "../pipeline/mod.ts";
import { FAR_PRESETS, type FarPreset } from "./match_thresholds.ts";

/** The parsed options; absent fields were not given. */
export interface RequestOptions {
  /** Face policy (`all` only where a route allows it). */
  face?: FaceSelection;
  /** Explicit L2 threshold in `(0, 2]`. */
  threshold?: number;
  /** FAR preset naming a calibrated threshold. */
  far?: FarPreset;
  /** Number of identify candidates, 1..50. */
  k?: number;
  /** The subject's expiry as given (checked by the use case). */
  expires_at?: string;
  /** `true` asks for a liveness check; `false` asks to skip the policy's (admin only). */
  liveness?: boolean;
  /** The token of a passed liveness challenge. */
  liveness_token?: string;
  /** A liveness score threshold in (0, 1) (`/v1/liveness`). */
  liveness_threshold?: number;
}

/** Which options a route accepts. */
export interface ReadOptionsSpec {
  /** Face policies accepted. Default: `largest`, `center`, `single`. */
  faces?: readonly FaceSelection[];
  /** Accepts `threshold` and `far`. Default: false. */
  threshold?: boolean;
  /** Accepts `k`. Default: false. */
  k?: boolean;
  /** Accepts `expires_at`. Default: false. */
  expiresAt?: boolean;
  /**
   * `"match"`: accepts `liveness` and `liveness_token`; `"enroll"`: `liveness`; `"score"`:
   * `threshold` as a liveness score in (0, 1). Default: none.
   */
  liveness?: "match" | "enroll" | "score";
}

export const PROBE_FACES: readonly FaceSelection[] = ["largest", "center", "primary", "single"];

export function bad(field: string, message: string): FaceError {
  return new FaceError("invalid_request", `Cannot read ${field}: ${message}`, {
    details: { field },
  });
}

/**
 * Reads the options a route accepts; others are ignored.
 *
 * @param query The query string parameters.
 * @param fields Body fields (JSON members or multipart text fields).
 * @param spec What the route accepts.
 * @returns The options given.
 * @throws {FaceError} `invalid_request` for a bad value, a value that differs between query and
 *   body, or `threshold` together with `far`.
 */
export function readOptions(
  query: Record<string, string>,
  fields: Record<string, unknown>,
  spec: ReadOptionsSpec,
): RequestOptions {
  const raw = (name: string): string | undefined => {
    const q = query[name];
    const b = fields[name];
    if (
      b !== undefined && b !== null && typeof b !== "string" && typeof b !== "number" &&
      typeof b !== "boolean"
    ) {
      throw bad(name, "it must be a string, a number or a boolean");
    }
    const body = b === undefined || b === null ? undefined : String(b);
    if (q !== undefined && body !== undefined && q !== body) {
      throw bad(name, `the query says ${JSON.stringify(q)}, the body ${JSON.stringify(body)}`);
    }
    return q ?? body;
  };
  const out: RequestOptions = {};
  const faces = spec.faces ?? PROBE_FACES;
  const face = raw("face");
  if (face !== undefined) {
    out.face = faces.find((f) => f === face);
    if (!out.face) throw bad("face", `it must be one of ${faces.join(", ")}`);
  }
  if (spec.threshold) {
    const t = raw("threshold");
    if (t !== undefined) {
      const n = /^\s*[0-9.eE+-]+\s*$/.test(t) ? Number(t) : NaN;
      if (!(n > 0 && n <= 2)) throw bad("threshold", "it must be a number in (0, 2]");
      out.threshold = n;
    }
    const far = raw("far");
    if (far !== undefined) {
      out.far = farPreset(far);
      if (!out.far) {
        throw bad("far", `it must be one of ${FAR_PRESETS.join(", ")} (or 0.01, 0.001, 0.0001)`);
      }
      if (out.threshold !== undefined) {
        throw bad("far", "give either threshold or far, not both");
      }
    }
  }
  if (spec.k) {
    const k = raw("k");
    if (k !== undefined) {
      const n = /^\d+$/.test(k) ? Number(k) : NaN;
      if (!(n >= 1 && n <= 50)) throw bad("k", "it must be an integer in 1..50");
      out.k = n;
    }
  }
  if (spec.liveness === "match" || spec.liveness === "enroll") {
    const l = raw("liveness");
    if (l !== undefined) {
      if (l !== "true" && l !== "false") throw bad("liveness", "it must be true or false");
      out.liveness = l === "true";
    }
  }
  if (spec.liveness === "match") {
    const t = raw("liveness_token");
    if (t !== undefined) {
      if (!/^[A-Za-z0-9_.-]{1,4096}$/.test(t)) throw bad("liveness_token", "it is not a token");
      out.liveness_token = t;
    }
  }
  if (spec.liveness === "score") {
    const t = raw("threshold");
    if (t !== undefined) {
      const n = /^\s*[0-9.eE+-]+\s*$/.test(t) ? Number(t) : NaN;
      if (!(n > 0 && n < 1)) throw bad("threshold", "it must be a liveness score in (0, 1)");
      out.liveness_threshold = n;
    }
  }
  if (spec.expiresAt) {
    const e = raw("expires_at");
    if (e !== undefined) out.expires_at = e;
  }
  return out;
}

/**
 * The calibrated preset a `far` value names, written either way (`1e-3`, `0.001`, `1E-3`), or
 * undefined when it names none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(farPreset("0.001"), "1e-3");
 * assert.equal(farPreset("1e-5"), undefined);
 * ```
 */
export function farPreset(value: string): FarPreset | undefined {
  const v = value.trim();
  if (!/^[0-9.eE+-]+$/.test(v)) return undefined;
  const n = Number(v);
  return FAR_PRESETS.find((p) => p === v || Number(p) === n);
}
