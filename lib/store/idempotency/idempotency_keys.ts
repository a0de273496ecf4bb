/**
 * The keys of idempotency records and their subject index, on Deno KV and Redis, and the check of
 * an {@linkcode IdempotencyRef}.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import { SCHEMA_VERSION } from "../keys.ts";
import type { IdempotencyRef } from "./idempotency_store.ts";

export const SCOPE_RE = /^[a-z_]{1,32}$/;
// The store's own name patterns (`lib/store/keys.ts`): none contains ":", so Redis keys split
// unambiguously.
export const NAME_RE = /^[A-Za-z0-9_.@-]{1,128}$/;
export const FACE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const KEY_RE = /^[\x21-\x7e]{1,256}$/;

/**
 * Validates an {@linkcode IdempotencyRef} and returns it.
 *
 * @throws {FaceError} `invalid_request` for a bad scope or key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkIdempotencyRef } from "./idempotency_keys.ts";
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
 * import { kvIdempotencyKey } from "./idempotency_keys.ts";
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
 * import { redisIdempotencyKey } from "./idempotency_keys.ts";
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
 * The Deno KV key of an index entry: the record `ref` names `subject` of the collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvIdempotencyIndexKey } from "./idempotency_keys.ts";
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
 * import { redisIdempotencyIndexKeys } from "./idempotency_keys.ts";
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
