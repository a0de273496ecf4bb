/**
 * What every {@linkcode IdempotencyStore} backend shares about records: the pending record of a
 * claim and the claim's retries, the subjects an answer mentions, erasure targets and erased
 * records.
 *
 * @module
 */
import { FACE_ID_RE, NAME_RE } from "./idempotency_keys.ts";
import { FaceError } from "../../errors.ts";
import type {
  IdempotencyClaim,
  IdempotencyErasure,
  IdempotencyMentions,
  IdempotencyRecord,
} from "./idempotency_store.ts";

/** The most subjects one remembered answer may name (identify answers name `k` <= 50). */
export const MAX_MENTIONED_SUBJECTS = 100;

/**
 * Validates {@linkcode IdempotencyMentions} and returns them with each subject once (faces
 * merged, deduplicated).
 *
 * @throws {RangeError} For no subject, more than {@linkcode MAX_MENTIONED_SUBJECTS}, or a name
 *   that is not a valid model, collection, subject or face id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkMentions } from "./idempotency_records.ts";
 * const m = checkMentions({
 *   collection: "c",
 *   subjects: [{ subject: "ann", faces: ["f1"] }, { subject: "ann", faces: ["f1", "f2"] }],
 * });
 * assert.deepEqual(m.subjects, [{ subject: "ann", faces: ["f1", "f2"] }]);
 * assert.throws(() => checkMentions({ collection: "c", subjects: [] }), RangeError);
 * ```
 */
export function checkMentions(mentions: IdempotencyMentions): IdempotencyMentions {
  const { collection } = mentions;
  if (!NAME_RE.test(collection)) {
    throw new RangeError("Cannot index an idempotency record: bad collection name");
  }
  const faces = new Map<string, Set<string>>();
  for (const { subject, faces: ids } of mentions.subjects) {
    if (!NAME_RE.test(subject) || !ids.every((f) => FACE_ID_RE.test(f))) {
      throw new RangeError("Cannot index an idempotency record: bad subject name or face id");
    }
    const set = faces.get(subject) ?? new Set();
    for (const f of ids) set.add(f);
    faces.set(subject, set);
  }
  if (faces.size === 0 || faces.size > MAX_MENTIONED_SUBJECTS) {
    throw new RangeError(
      `Cannot index an idempotency record: it must name 1..${MAX_MENTIONED_SUBJECTS} subjects, ` +
        `not ${faces.size}`,
    );
  }
  return {
    collection,
    subjects: [...faces].map(([subject, set]) => ({ subject, faces: [...set] })),
  };
}

/**
 * Whether a record's mentions name the target of an erasure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mentionsTarget } from "./idempotency_records.ts";
 * const m = { collection: "c", subjects: [{ subject: "ann", faces: ["f1"] }] };
 * assert.equal(mentionsTarget(m, { collection: "c" }), true);
 * assert.equal(mentionsTarget(m, { collection: "c", subject: "ann", faceId: "f2" }), false);
 * assert.equal(mentionsTarget(undefined, { collection: "c" }), false);
 * ```
 */
export function mentionsTarget(
  mentions: IdempotencyMentions | undefined,
  target: IdempotencyErasure,
): boolean {
  if (!mentions || mentions.collection !== target.collection) return false;
  if (target.subject === undefined) return true;
  const hit = mentions.subjects.find((m) => m.subject === target.subject);
  if (!hit) return false;
  return target.faceId === undefined || hit.faces.includes(target.faceId);
}

/**
 * Validates an {@linkcode IdempotencyErasure} and returns it.
 *
 * @throws {RangeError} For a bad name, or a face id without a subject.
 */
export function checkErasure(target: IdempotencyErasure): IdempotencyErasure {
  const ok = NAME_RE.test(target.collection) &&
    (target.subject === undefined || NAME_RE.test(target.subject)) &&
    (target.faceId === undefined ||
      (target.subject !== undefined && FACE_ID_RE.test(target.faceId)));
  if (!ok) throw new RangeError("Cannot erase idempotency records: bad erasure target");
  return target;
}

/**
 * The tombstone that replaces an erased record: the fingerprint stays (a replay with another
 * body is still told so), the answer and its mentions go.
 */
export function erasedRecord(fingerprint: string, now: number): IdempotencyRecord {
  return { state: "erased", fingerprint, erased_at: new Date(now).toISOString() };
}

/** The pending record of a key claimed at `now` (ms since the epoch) for `fingerprint`. */
export function pendingRecord(fingerprint: string, now: number): IdempotencyRecord {
  return { state: "pending", fingerprint, started_at: new Date(now).toISOString() };
}

/** Tries of a contended claim before `conflict`. */
export const CLAIM_ATTEMPTS = 10;

/**
 * The claim loop of the shared backends: runs `attempt` until it settles the claim (taken, or
 * found held), at most {@linkcode CLAIM_ATTEMPTS} times.
 *
 * @param attempt One try; undefined when another writer got in between its read and its write.
 * @throws {FaceError} `conflict` when no try settled.
 */
export async function claimWithRetries(
  attempt: () => Promise<IdempotencyClaim | undefined>,
): Promise<IdempotencyClaim> {
  for (let i = 0; i < CLAIM_ATTEMPTS; i++) {
    const claim = await attempt();
    if (claim) return claim;
  }
  throw new FaceError("conflict", "Cannot claim idempotency key: too many concurrent writes");
}
