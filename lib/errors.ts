/**
 * The one error type of facegate's core. It carries a machine-readable `code`; the HTTP layer maps
 * each code to a status and title (see `functions/problem.ts`). Programmer mistakes stay
 * `TypeError` / `RangeError`.
 *
 * @module
 */

/** Every failure the core reports to a caller. */
export type FaceErrorCode =
  | "invalid_image"
  | "image_too_large"
  | "unsupported_media_type"
  | "payload_too_large"
  | "invalid_request"
  | "no_face"
  | "multiple_faces"
  | "low_quality"
  | "insufficient_context"
  | "not_live"
  | "liveness_required"
  | "invalid_liveness_token"
  | "invalid_liveness_session"
  | "subject_not_found"
  | "collection_not_found"
  | "face_not_found"
  | "model_unavailable"
  | "model_mismatch"
  | "store_unavailable"
  | "store_key_unavailable"
  | "conflict"
  | "unauthorized"
  | "forbidden"
  | "policy_violation"
  | "rate_limited"
  | "not_found"
  | "method_not_allowed"
  | "upstream_failed"
  | "unsupported_event"
  | "url_not_allowed"
  | "request_timeout"
  | "overloaded"
  | "client_closed_request";

/** Options for {@linkcode FaceError}. */
export interface FaceErrorOptions {
  /** The underlying error, if any. Default: none. */
  cause?: unknown;
  /** Extra machine-readable fields surfaced in the problem body (never secrets or bytes). Default: none. */
  details?: Record<string, unknown>;
}

/**
 * A failure with a typed `code`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceError } from "./errors.ts";
 * const err = new FaceError("no_face", "Cannot embed image: no face was found");
 * assert.ok(err.code === "no_face" && err.name === "FaceError");
 * ```
 */
export class FaceError extends Error {
  /** What went wrong, as a stable machine-readable code. */
  readonly code: FaceErrorCode;
  /** Extra fields for the problem body. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: FaceErrorCode, message: string, options: FaceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FaceError";
    this.code = code;
    this.details = options.details;
  }
}

/** True when `err` is a {@linkcode FaceError}, optionally with the given code. */
export function isFaceError(err: unknown, code?: FaceErrorCode): err is FaceError {
  return err instanceof FaceError && (code === undefined || err.code === code);
}
