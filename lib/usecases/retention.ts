/**
 * Retention and subject expiry: which faces may still match now (a collection's retention period,
 * a subject's expiry) and the admin's change of a subject's expiry.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { LiveWindow } from "../match/mod.ts";
import { type StoredPolicy, validateName } from "../store/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { Caller } from "./decide_threshold.ts";
import { forCollection } from "./for_collection.ts";

/** Latest expiry a subject may be given, in days from now (100 years). */
export const MAX_EXPIRY_DAYS = 36500;

const DAY_MS = 86_400_000;
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The instant a match runs at and the collection's retention cutoff (faces created before it never
 * match), from `deps.now` and the collection's policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveWindow } from "./retention.ts";
 * const now = () => new Date("2026-01-31T00:00:00Z");
 * const w = liveWindow({ now }, { updated_at: "", retention: { days: 30 } });
 * assert.equal(new Date(w.createdSince).toISOString(), "2026-01-01T00:00:00.000Z");
 * assert.equal(liveWindow({ now }, null).createdSince, -Infinity);
 * ```
 */
export function liveWindow(
  deps: Pick<UseCaseDeps, "now">,
  policy: StoredPolicy | null,
): LiveWindow {
  const now = (deps.now?.() ?? new Date()).getTime();
  const days = policy?.retention?.days;
  return { now, createdSince: days === undefined ? -Infinity : now - days * DAY_MS };
}

/**
 * Whether a stored face may match within `w`: created within the retention period, of a subject
 * that has not expired.
 */
export function isLiveRecord(
  subject: { expires_at?: string },
  face: { created_at: string },
  w: LiveWindow,
): boolean {
  if (Date.parse(face.created_at) < w.createdSince) return false;
  return subject.expires_at === undefined || Date.parse(subject.expires_at) > w.now;
}

/**
 * Reads a subject expiry given by a client: an ISO 8601 time with a time zone, after `now` and at
 * most {@linkcode MAX_EXPIRY_DAYS} days after it.
 *
 * @returns The time as `toISOString()`.
 * @throws {FaceError} `invalid_request` (with `details.field`) otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseExpiry } from "./retention.ts";
 * const now = new Date("2026-01-01T00:00:00Z");
 * assert.equal(parseExpiry("2026-06-01T00:00:00+02:00", now), "2026-05-31T22:00:00.000Z");
 * assert.throws(() => parseExpiry("2025-12-31T00:00:00Z", now), /in the future/);
 * ```
 */
export function parseExpiry(value: unknown, now: Date, field = "expires_at"): string {
  const bad = (why: string) =>
    new FaceError("invalid_request", `Cannot set subject expiry: ${field} ${why}`, {
      details: { field },
    });
  if (typeof value !== "string" || !ISO_RE.test(value.trim())) {
    throw bad("must be an ISO 8601 time with a time zone, e.g. 2027-01-01T00:00:00Z");
  }
  const ms = Date.parse(value.trim());
  if (!Number.isFinite(ms)) throw bad("is not a valid time");
  if (ms <= now.getTime()) throw bad("must be in the future");
  if (ms > now.getTime() + MAX_EXPIRY_DAYS * DAY_MS) {
    throw bad(`must be at most ${MAX_EXPIRY_DAYS} days from now`);
  }
  return new Date(ms).toISOString();
}

/**
 * The expiry a request body sets: the body must be exactly `{expires_at: time or null}`.
 *
 * @param body The request's JSON.
 * @returns The `expires_at` value, unchecked (see {@linkcode setSubjectExpiry}).
 * @throws {FaceError} `invalid_request` for any other shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readExpiryBody } from "./retention.ts";
 * assert.equal(readExpiryBody({ expires_at: null }), null);
 * assert.throws(() => readExpiryBody({ expires_at: null, x: 1 }), { code: "invalid_request" });
 * ```
 */
export function readExpiryBody(body: unknown): unknown {
  if (
    body === null || typeof body !== "object" || Array.isArray(body) ||
    !("expires_at" in body) || Object.keys(body).length !== 1
  ) {
    throw new FaceError(
      "invalid_request",
      "Cannot read expiry: the body must be {expires_at: time or null}",
      { details: { field: "expires_at" } },
    );
  }
  return (body as { expires_at: unknown }).expires_at;
}

/** A subject's expiry as answered. */
export interface SubjectExpiry {
  /** The subject. */
  subject: string;
  /** When it expires, or null when it does not. */
  expires_at: string | null;
}

/**
 * Sets (an ISO 8601 time, see {@linkcode parseExpiry}) or clears (`null`) a subject's expiry.
 * After it, none of the subject's faces match and a purge deletes them. Audited
 * (`subject_expiry_set`).
 *
 * @param input `expiresAt` is the client's value as parsed JSON.
 * @throws {FaceError} `invalid_request`, `subject_not_found`, `store_unavailable`.
 */
export async function setSubjectExpiry(
  deps: UseCaseDeps,
  input: { collection: string; subject: string; expiresAt: unknown; caller?: Caller },
): Promise<SubjectExpiry> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  const expiresAt = input.expiresAt === null
    ? null
    : parseExpiry(input.expiresAt, deps.now?.() ?? new Date());
  const ref = { model: deps.model, collection };
  if (!(await deps.store.setSubjectExpiry(ref, subject, expiresAt))) {
    throw new FaceError("subject_not_found", `Cannot find subject ${subject}`, {
      details: { subject },
    });
  }
  await deps.audit?.({
    action: "subject_expiry_set",
    key_id: input.caller?.keyId,
    request_id: input.caller?.requestId,
    collection,
    subject,
    expires_at: expiresAt,
  });
  return { subject, expires_at: expiresAt };
}
