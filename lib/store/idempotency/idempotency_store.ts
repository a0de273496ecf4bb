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
