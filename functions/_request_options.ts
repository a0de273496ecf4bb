/**
 * Per-request options, read from the query string and (for JSON / multipart bodies) body fields.
 * A value given in both places must agree.
 *
 * @module
 */
import type { HonoRequest } from "hono";
import { FaceError } from "../lib/errors.ts";
import type { FaceSelection } from "../lib/pipeline/mod.ts";
import { FAR_PRESETS, type FarPreset } from "../lib/usecases/mod.ts";
import type { ParameterSpec } from "./_openapi.ts";
import { type ImageInput, readImageInput } from "./_image_input.ts";

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

const PROBE_FACES: readonly FaceSelection[] = ["largest", "center", "primary", "single"];

function bad(field: string, message: string): FaceError {
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

/** The images of a request with its options. */
export interface ImageRequest extends ImageInput {
  /** The options given (see {@linkcode readOptions}). */
  options: RequestOptions;
}

/**
 * Reads the images of an image route and the options it accepts, from the query string and the
 * body's other fields.
 *
 * @param req The request.
 * @param names Required image fields, e.g. `["image"]` or `["a", "b"]`.
 * @param spec What the route accepts.
 * @throws {FaceError} As `readImageInput` and {@linkcode readOptions} do.
 */
export async function readImageRequest(
  req: HonoRequest,
  names: string[],
  spec: ReadOptionsSpec,
): Promise<ImageRequest> {
  const { images, fields } = await readImageInput(req, names);
  return { images, fields, options: readOptions(req.query(), fields, spec) };
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

/** OpenAPI docs of the options, for route declarations. */
export const OPTION_PARAMS = {
  face: (values: readonly string[], fallback: string): ParameterSpec => ({
    name: "face",
    in: "query",
    description: `Which face to use: ${values.join(" | ")} (default ${fallback}). ` +
      "`single` refuses images with several faces; `primary` takes the largest face weighted by " +
      "closeness to the centre (the subject of a portrait even when a bystander's face is bigger).",
    schema: { type: "string", enum: [...values] },
  }),
  threshold: {
    name: "threshold",
    in: "query",
    description: "L2 distance threshold in (0, 2]; a pair matches when distance <= threshold.",
    schema: { type: "number", exclusiveMinimum: 0, maximum: 2 },
  },
  far: {
    name: "far",
    in: "query",
    description: "Use the calibrated threshold at this false-accept rate (not with threshold); " +
      "0.01, 0.001 and 0.0001 name the same presets.",
    schema: { type: "string", enum: [...FAR_PRESETS, "0.01", "0.001", "0.0001"] },
  },
  k: {
    name: "k",
    in: "query",
    description: "Number of candidates, 1..50 (default 5).",
    schema: { type: "integer", minimum: 1, maximum: 50 },
  },
  liveness: {
    name: "liveness",
    in: "query",
    description: "`true` judges the probe with the passive liveness model (a face judged not " +
      "live never matches); `false` skips a collection policy's liveness requirement (admin " +
      "keys only, audited). Default: the collection's match policy decides.",
    schema: { type: "boolean" },
  },
  liveness_token: {
    name: "liveness_token",
    in: "query",
    description: "The token of a passed liveness challenge (`POST /v1/liveness/sessions`), for a " +
      "collection whose policy requires the `challenge` mode; single use, short-lived.",
    schema: { type: "string" },
  },
  expires_at: {
    name: "expires_at",
    in: "query",
    description: "The subject's expiry, an ISO 8601 time with a time zone, in the future and at " +
      "most 36500 days ahead: after it none of the subject's faces match, and a purge deletes " +
      "them. Replaces the subject's expiry (default: unchanged; none for a new subject).",
    schema: { type: "string", format: "date-time" },
  },
} satisfies Record<string, ParameterSpec | ((...args: never[]) => ParameterSpec)>;
