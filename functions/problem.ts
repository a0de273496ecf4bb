/**
 * The one table from {@linkcode FaceErrorCode} to HTTP status and title, and the RFC 9457
 * `application/problem+json` responses built from it.
 *
 * Status choices: `invalid_image` is 400 (the bytes are not a decodable JPEG/PNG: a malformed
 * request), while 422 is kept for well-formed images whose content is refused (`no_face`,
 * `multiple_faces`, `low_quality`).
 *
 * @module
 */
import { FaceError, type FaceErrorCode } from "../lib/errors.ts";

/** Status and human title of one error code. */
export interface ProblemKind {
  /** HTTP status. */
  status: number;
  /** Short, stable summary of the problem type. */
  title: string;
}

/** Every {@linkcode FaceErrorCode} with its status; a missing code does not compile. */
export const PROBLEMS: Record<FaceErrorCode, ProblemKind> = {
  invalid_image: { status: 400, title: "Invalid image" },
  invalid_request: { status: 400, title: "Invalid request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  policy_violation: { status: 403, title: "Looser than the collection's match policy" },
  not_found: { status: 404, title: "Not found" },
  subject_not_found: { status: 404, title: "Subject not found" },
  collection_not_found: { status: 404, title: "Collection not found" },
  face_not_found: { status: 404, title: "Face not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  request_timeout: { status: 408, title: "Request timeout" },
  conflict: { status: 409, title: "Conflict" },
  model_mismatch: { status: 409, title: "Model mismatch" },
  payload_too_large: { status: 413, title: "Payload too large" },
  image_too_large: { status: 413, title: "Image too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  no_face: { status: 422, title: "No face found" },
  multiple_faces: { status: 422, title: "Multiple faces found" },
  low_quality: { status: 422, title: "Face quality too low" },
  insufficient_context: { status: 422, title: "Too little context to judge liveness" },
  not_live: { status: 422, title: "Face judged not live" },
  liveness_required: { status: 403, title: "Liveness challenge required" },
  invalid_liveness_token: { status: 403, title: "Invalid liveness token" },
  invalid_liveness_session: { status: 403, title: "Invalid liveness session" },
  unsupported_event: { status: 422, title: "Unsupported webhook event" },
  url_not_allowed: { status: 422, title: "URL not allowed" },
  rate_limited: { status: 429, title: "Too many requests" },
  client_closed_request: { status: 499, title: "Client closed request" },
  upstream_failed: { status: 502, title: "Upstream service failed" },
  model_unavailable: { status: 503, title: "Model unavailable" },
  store_unavailable: { status: 503, title: "Store unavailable" },
  overloaded: { status: 503, title: "Server overloaded" },
  store_key_unavailable: { status: 500, title: "Store key unavailable" },
};

/**
 * Base of the problem `type` URIs: `type` is `PROBLEM_TYPE_BASE + code`, a relative reference to
 * the row of the problem table on the server's own `/docs` page.
 */
export const PROBLEM_TYPE_BASE = "/docs#problem-";

/** The media type of problem responses. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An RFC 9457 problem body as facegate sends it. */
export interface ProblemBody {
  /** `/docs#problem-<code>`, or `about:blank` for internal errors. */
  type: string;
  /** Short summary of the problem type. */
  title: string;
  /** HTTP status. */
  status: number;
  /** What could not be done and why (the FaceError message). */
  detail: string;
  /** The request path. */
  instance?: string;
  /** The {@linkcode FaceErrorCode}, or `"internal_error"` for unexpected failures. */
  code: FaceErrorCode | "internal_error";
  /** The request id, to quote when reporting a problem. */
  request_id: string;
  /** Code-specific members (e.g. `reasons` for `low_quality`, `field` for bad input). */
  [extra: string]: unknown;
}

const STANDARD_MEMBERS = new Set([
  "type",
  "title",
  "status",
  "detail",
  "instance",
  "code",
  "request_id",
]);

/** Options for {@linkcode problemResponse}. */
export interface ProblemResponseOptions {
  /** The request path, reported as `instance`. Default: omitted. */
  instance?: string;
  /** Extra response headers (e.g. `Retry-After`). Default: none. */
  headers?: HeadersInit;
}

/**
 * Turns any thrown value into a problem response. A {@linkcode FaceError} keeps its code, message
 * (as `detail`) and `details` (spread into the body, never overriding the standard members);
 * anything else becomes a generic 500 whose body says nothing about the cause (log it yourself).
 *
 * @param err What was thrown.
 * @param requestId The request id, echoed as `request_id` and in `X-Request-Id`.
 * @param options See {@linkcode ProblemResponseOptions}.
 * @returns A response with content type `application/problem+json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaceError } from "../lib/errors.ts";
 * import { problemResponse } from "./problem.ts";
 * const res = problemResponse(new FaceError("no_face", "Cannot find a face"), "req-1");
 * assert.equal(res.status, 422);
 * assert.equal((await res.json()).code, "no_face");
 * ```
 */
export function problemResponse(
  err: unknown,
  requestId: string,
  options: ProblemResponseOptions = {},
): Response {
  const body = problemBody(err, requestId, options.instance);
  const headers = new Headers(options.headers);
  headers.set("content-type", PROBLEM_CONTENT_TYPE);
  headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(body), { status: body.status, headers });
}

/**
 * The problem body for `err` (see {@linkcode problemResponse}).
 *
 * @param err What was thrown.
 * @param requestId The request id.
 * @param instance The request path. Default: omitted.
 * @returns The body.
 */
export function problemBody(err: unknown, requestId: string, instance?: string): ProblemBody {
  if (err instanceof FaceError) {
    const { status, title } = PROBLEMS[err.code];
    const body: ProblemBody = {
      type: PROBLEM_TYPE_BASE + err.code,
      title,
      status,
      detail: err.message,
      ...(instance === undefined ? {} : { instance }),
      code: err.code,
      request_id: requestId,
    };
    for (const [key, value] of Object.entries(err.details ?? {})) {
      if (!STANDARD_MEMBERS.has(key)) body[key] = value;
    }
    return body;
  }
  return {
    type: "about:blank",
    title: "Internal server error",
    status: 500,
    detail: "The server failed to handle the request; quote the request id when reporting it",
    ...(instance === undefined ? {} : { instance }),
    code: "internal_error",
    request_id: requestId,
  };
}
