/**
 * The idempotency role: remembers, per key, that an operation is in progress (a lease) or what it
 * answered (a response, for a TTL), so a redelivered request is answered without running again.
 * Implementations: memory, Deno KV, Upstash Redis. Keys carry the schema version:
 *
 * | store   | key                                                       | value                         |
 * | ------- | --------------------------------------------------------- | ----------------------------- |
 * | Deno KV | `[...P, "v1", "idempotency", scope, key]`                 | {@linkcode StoredIdempotency} |
 * | Deno KV | `[...P, "v1", "idempotency_index", C, S, scope, key]`     | `{faces, expires_at}`         |
 * | Redis   | `P + "v1:idempotency:" + scope + ":" + key`               | its JSON                      |
 * | Redis   | `P + "v1:idempotency_index:" + C` (set)                   | the subjects S indexed        |
 * | Redis   | `P + "v1:idempotency_index:" + C + ":" + S`               | hash `scope:key` -> faces     |
 *
 * Erasure: an answer that names subjects or faces (an enroll's `{subject, face_id}`, an identify's
 * candidates, a problem about a subject) is indexed under each subject it names (collection C,
 * subject S), in the same atomic write as the answer. The index is not scoped by model: a
 * collection name holds one embedder recipe, and the HTTP layer does not know which without a
 * read. {@linkcode
 * IdempotencyStore.erase} replaces every record naming a deleted subject, face or collection by a
 * tombstone that keeps only the request's fingerprint, and deletes its index entries, so no key or
 * value names the subject any more; a replay of the key then answers 409 instead of the erased
 * answer (and the write is not run again).
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import { SCHEMA_VERSION } from "../keys.ts";

/** Which idempotency record. */
export interface IdempotencyRef {
  /** What kind of operation, `[a-z_]{1,32}` (e.g. `"webhook"`). */
  scope: string;
  /** The caller's key (e.g. a `webhook-id`), 1..256 printable ASCII characters. */
  key: string;
}

/** A response as remembered. */
export interface StoredResponse {
  /** HTTP status. */
  status: number;
  /** The `content-type` header. */
  content_type: string;
  /** The body text. */
  body: string;
}

/** The state of a key. */
export type IdempotencyRecord =
  | {
    /** The first request is still running. */
    state: "pending";
    /** Fingerprint of the request (e.g. a body hash). */
    fingerprint: string;
    /** ISO-8601 time the lease was taken. */
    started_at: string;
  }
  | {
    /** The first request finished. */
    state: "done";
    /** Fingerprint of the request. */
    fingerprint: string;
    /** What it answered. */
    response: StoredResponse;
    /** ISO-8601 completion time. */
    completed_at: string;
  }
  | {
    /**
     * The first request finished, but its answer named a subject, face or collection that was
     * deleted since: the answer is gone, the key stays used until its TTL.
     */
    state: "erased";
    /** Fingerprint of the request. */
    fingerprint: string;
    /** ISO-8601 time of the erasure. */
    erased_at: string;
  };

/** The most subjects one remembered answer may name (identify answers name `k` <= 50). */
export const MAX_MENTIONED_SUBJECTS = 100;

/**
 * Who a remembered answer names: the personal ids for which a delete must erase it. One
 * collection; at most {@linkcode MAX_MENTIONED_SUBJECTS} subjects.
 */
export interface IdempotencyMentions {
  /** The collection. */
  collection: string;
  /** Each subject named, with the face ids named beside it (possibly none); at least one. */
  subjects: { subject: string; faces: string[] }[];
}

/** What a delete erases: answers naming a collection's subjects, one subject, or one face. */
export interface IdempotencyErasure {
  /** The collection. */
  collection: string;
  /** Only answers naming this subject. Default: answers naming any subject of the collection. */
  subject?: string;
  /** With `subject`: only answers naming this face of it. Default: every answer naming it. */
  faceId?: string;
}

/** The outcome of {@linkcode IdempotencyStore.claim}. */
export type IdempotencyClaim =
  | {
    /** The caller holds the lease and must `complete` or `release` it. */
    claimed: true;
    /** Opaque proof of ownership for `complete` / `release`. */
    token: string;
  }
  | {
    /** Someone else holds or held the key. */
    claimed: false;
    /** Its record. */
    record: IdempotencyRecord;
  };

/** What the stores keep per key: the record, its owner token and its expiry (ms epoch). */
export interface StoredIdempotency {
  /** The record. */
  record: IdempotencyRecord;
  /** The owner's token while pending. */
  token: string;
  /** Milliseconds since the epoch after which the record counts as absent. */
  expires_at: number;
  /** Whom a done record's answer names (what its index entries are). Default: nobody. */
  mentions?: IdempotencyMentions;
}

/**
 * Storage of idempotency records. Failures of the backing service throw
 * `FaceError("store_unavailable")`; a key's record disappears after its lease or TTL.
 */
export interface IdempotencyStore {
  /** Short name, e.g. `"memory"`, `"kv"`, `"upstash"`. */
  readonly kind: string;
  /**
   * Takes the key for `leaseMs` when it is absent (atomically: of concurrent callers exactly one
   * gets `claimed: true`), else returns its record.
   */
  claim(ref: IdempotencyRef, fingerprint: string, leaseMs: number): Promise<IdempotencyClaim>;
  /**
   * Replaces the caller's lease by the response, kept `ttlMs`; false when the lease was lost.
   * With `mentions`, the record is indexed under each subject named, in the same atomic write.
   *
   * @throws {RangeError} For more than {@linkcode MAX_MENTIONED_SUBJECTS} subjects or bad names.
   */
  complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
    mentions?: IdempotencyMentions,
  ): Promise<boolean>;
  /**
   * Erases every done record whose answer names the target: each becomes `state: "erased"`
   * (its fingerprint only, same expiry) and all its index entries are deleted, in one atomic
   * write per record. Index entries of expired or reused keys are deleted too.
   *
   * @returns How many records were erased.
   */
  erase(target: IdempotencyErasure): Promise<number>;
  /** Drops the caller's lease so the key can be claimed again; false when it was lost. */
  release(ref: IdempotencyRef, token: string): Promise<boolean>;
  /** Releases connections/handles. */
  close(): Promise<void>;
}

const SCOPE_RE = /^[a-z_]{1,32}$/;
// The store's own name patterns (`lib/store/keys.ts`): none contains ":", so Redis keys split
// unambiguously.
const NAME_RE = /^[A-Za-z0-9_.@-]{1,128}$/;
const FACE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_RE = /^[\x21-\x7e]{1,256}$/;

/**
 * Validates an {@linkcode IdempotencyRef} and returns it.
 *
 * @throws {FaceError} `invalid_request` for a bad scope or key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkIdempotencyRef } from "./idempotency_store.ts";
 * assert.throws(() => checkIdempotencyRef({ scope: "webhook", key: "has space" }), {
 *   code: "invalid_request",
 * });
 * ```
 */
export function checkIdempotencyRef(ref: IdempotencyRef): IdempotencyRef {
  if (!SCOPE_RE.test(ref.scope) || !KEY_RE.test(ref.key)) {
    throw new FaceError(
      "invalid_request",
      "Cannot use idempotency key: the scope must match [a-z_]{1,32} and the key be 1 to 256 " +
        "printable ASCII characters",
      { details: { field: "idempotency_key" } },
    );
  }
  return ref;
}

/**
 * The Deno KV key of an idempotency record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvIdempotencyKey } from "./idempotency_store.ts";
 * const key = kvIdempotencyKey({ scope: "webhook", key: "msg_1" }, ["app"]);
 * assert.equal(key.join("/"), "app/v1/idempotency/webhook/msg_1");
 * ```
 */
export function kvIdempotencyKey(
  ref: IdempotencyRef,
  prefix: readonly Deno.KvKeyPart[] = [],
): Deno.KvKey {
  const { scope, key } = checkIdempotencyRef(ref);
  return [...prefix, SCHEMA_VERSION, "idempotency", scope, key];
}

/**
 * The Redis key of an idempotency record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisIdempotencyKey } from "./idempotency_store.ts";
 * assert.ok(
 *   redisIdempotencyKey({ scope: "webhook", key: "msg_1" }, "fg:") === "fg:v1:idempotency:webhook:msg_1",
 * );
 * ```
 */
export function redisIdempotencyKey(ref: IdempotencyRef, prefix = ""): string {
  const { scope, key } = checkIdempotencyRef(ref);
  return `${prefix}${SCHEMA_VERSION}:idempotency:${scope}:${key}`;
}

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
 * import { checkMentions } from "./idempotency_store.ts";
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
 * import { mentionsTarget } from "./idempotency_store.ts";
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

/**
 * The Deno KV key of an index entry: the record `ref` names `subject` of the collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvIdempotencyIndexKey } from "./idempotency_store.ts";
 * const key = kvIdempotencyIndexKey({ collection: "c" }, "ann", { scope: "webhook", key: "k" });
 * assert.equal(key.join("/"), "v1/idempotency_index/c/ann/webhook/k");
 * ```
 */
export function kvIdempotencyIndexKey(
  where: { collection: string },
  subject: string | undefined,
  ref?: IdempotencyRef,
  prefix: readonly Deno.KvKeyPart[] = [],
): Deno.KvKey {
  const base = [...prefix, SCHEMA_VERSION, "idempotency_index", where.collection];
  if (subject === undefined) return base;
  if (ref === undefined) return [...base, subject];
  const { scope, key } = checkIdempotencyRef(ref);
  return [...base, subject, scope, key];
}

/**
 * The Redis keys of a collection's idempotency index: the set of subjects indexed, and the
 * hash of one subject (fields `scope:key`, values the JSON array of face ids named).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisIdempotencyIndexKeys } from "./idempotency_store.ts";
 * const k = redisIdempotencyIndexKeys({ collection: "c" }, "fg:");
 * assert.equal(k.subjects, "fg:v1:idempotency_index:c");
 * assert.equal(k.subject("ann"), "fg:v1:idempotency_index:c:ann");
 * ```
 */
export function redisIdempotencyIndexKeys(
  where: { collection: string },
  prefix = "",
): { subjects: string; subject: (name: string) => string } {
  const subjects = `${prefix}${SCHEMA_VERSION}:idempotency_index:${where.collection}`;
  return { subjects, subject: (name) => `${subjects}:${name}` };
}
