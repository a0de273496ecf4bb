/**
 * The payload of the upload service's webhook, validated.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { validateName } from "../store/mod.ts";

/** The only event type handled. */
export const UPLOAD_COMPLETED = "upload.completed";

/** What to do with the uploaded image. */
export type UploadAction = "enroll" | "identify" | "verify";

/** The `data` of an `upload.completed` event. */
export interface UploadData {
  /** Where the image can be fetched (checked later by `safeFetch`). */
  url: string;
  /** Collection name. */
  collection: string;
  /** What to do. */
  action: UploadAction;
  /** Subject name: required for `enroll` and `verify`, ignored by `identify`. */
  subject?: string;
  /** Metadata stored with an enrolled face (a JSON object); ignored by the other actions. */
  metadata?: Record<string, unknown>;
}

/** A validated `upload.completed` event. */
export interface UploadEvent {
  /** Always {@linkcode UPLOAD_COMPLETED}. */
  type: typeof UPLOAD_COMPLETED;
  /** The event data. */
  data: UploadData;
}

const ACTIONS: readonly UploadAction[] = ["enroll", "identify", "verify"];

/**
 * Parses and validates a webhook body.
 *
 * @param text The raw JSON body.
 * @returns The event.
 * @throws {FaceError} `unsupported_event` (422) for a `type` other than `upload.completed`;
 *   `invalid_request` (400, with `details.field`) for malformed JSON, a missing or mistyped
 *   member, an unknown action, a bad collection or subject name, or a missing subject for
 *   `enroll` / `verify`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseUploadEvent } from "./parse_upload_event.ts";
 * const event = parseUploadEvent(JSON.stringify({
 *   type: "upload.completed",
 *   data: { url: "https://uploads.example.com/a.jpg", collection: "staff", action: "identify" },
 * }));
 * assert.equal(event.data.action, "identify");
 * assert.throws(() => parseUploadEvent('{"type":"upload.deleted","data":{}}'), {
 *   code: "unsupported_event",
 * });
 * ```
 */
export function parseUploadEvent(text: string): UploadEvent {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw bad("the body is not valid JSON", undefined, cause);
  }
  if (!isObject(body)) throw bad("the body must be a JSON object");
  if (typeof body.type !== "string") throw bad("type must be a string", "type");
  if (body.type !== UPLOAD_COMPLETED) {
    throw new FaceError(
      "unsupported_event",
      `Cannot handle webhook: event type ${
        JSON.stringify(body.type.slice(0, 64))
      } is not supported (only ${UPLOAD_COMPLETED})`,
      { details: { type: body.type.slice(0, 64), supported: [UPLOAD_COMPLETED] } },
    );
  }
  const d = body.data;
  if (!isObject(d)) throw bad("data must be an object", "data");
  if (typeof d.url !== "string" || d.url === "") throw bad("data.url must be a URL", "data.url");
  if (typeof d.collection !== "string") {
    throw bad("data.collection must be a string", "data.collection");
  }
  const action = ACTIONS.find((a) => a === d.action);
  if (action === undefined) {
    throw bad(`data.action must be one of ${ACTIONS.join(", ")}`, "data.action");
  }
  const data: UploadData = { url: d.url, collection: named("collection", d.collection), action };
  if (action !== "identify") {
    if (typeof d.subject !== "string") {
      throw bad(`data.subject is required for ${action}`, "data.subject");
    }
    data.subject = named("subject", d.subject);
  }
  if (action === "enroll" && d.metadata !== undefined) {
    if (!isObject(d.metadata)) throw bad("data.metadata must be a JSON object", "data.metadata");
    data.metadata = d.metadata;
  }
  return { type: UPLOAD_COMPLETED, data };
}

function named(kind: "collection" | "subject", value: string): string {
  try {
    return validateName(kind, value);
  } catch (err) {
    if (!(err instanceof FaceError)) throw err;
    throw bad(err.message.replace(/^Cannot use /, `data.${kind}: cannot use `), `data.${kind}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function bad(why: string, field?: string, cause?: unknown): FaceError {
  return new FaceError("invalid_request", `Cannot handle webhook: ${why}`, {
    cause,
    details: field === undefined ? undefined : { field },
  });
}
