/**
 * The idempotency role: remembers, per key, that an operation is in progress (a lease) or what it
 * answered (a response, for a TTL), so a redelivered request is answered without running again.
 * Implementations: memory, Deno KV, Upstash Redis. Keys carry the schema version:
 *
 * | store   | key                                         | value                     |
 * | ------- | ------------------------------------------- | ------------------------- |
 * | Deno KV | `[...P, "v1", "idempotency", scope, key]`   | {@linkcode StoredIdempotency} |
 * | Redis   | `P + "v1:idempotency:" + scope + ":" + key` | its JSON                  |
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { SCHEMA_VERSION } from "./keys.ts";

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
  };

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
  /** Replaces the caller's lease by the response, kept `ttlMs`; false when the lease was lost. */
  complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
  ): Promise<boolean>;
  /** Drops the caller's lease so the key can be claimed again; false when it was lost. */
  release(ref: IdempotencyRef, token: string): Promise<boolean>;
  /** Releases connections/handles. */
  close(): Promise<void>;
}

const SCOPE_RE = /^[a-z_]{1,32}$/;
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
