/**
 * The one module that forms storage keys. Every key carries the schema version ({@linkcode
 * SCHEMA_VERSION}) and the embedding model id, so embeddings of two models never meet, and every
 * name that goes into a key is validated here first.
 *
 * Key schema (`P` is the store's prefix, `m` the model id, `c` the collection, `s` a subject, `f` a
 * face id):
 *
 * | store   | key                                 | value                                             |
 * | ------- | ----------------------------------- | ------------------------------------------------- |
 * | Deno KV | `[...P, "v1", m, c, "s", s]`        | subject summary `{created_at, updated_at, face_count, expires_at?}` |
 * | Deno KV | `[...P, "v1", m, c, "f", s, f]`     | face `{sealed, k, quality, created_at, metadata}` (plain `embedding` bytes in stores written before encryption) |
 * | Redis   | `P + "v1:{m|c}:subjects"`           | sorted set of subject names (score 0, lex order)  |
 * | Redis   | `P + "v1:{m|c}:subject:" + s`       | hash `created_at`, `updated_at`, `face_count`, `expires_at` |
 * | Redis   | `P + "v1:{m|c}:expiry"`             | hash subject -> `expires_at` (subjects with an expiry only) |
 * | Redis   | `P + "v1:{m|c}:faces:" + s`         | hash face id -> JSON `{q, c, k, m}` (`m` sealed metadata, base64) |
 * | Redis   | `P + "v1:{m|c}:gallery"`            | hash face id -> `c1.t.` + sealed record `e1.k.base64` (packed record, base64, when plain); `t` the creation time (ms, base 36), absent in rows written before retention |
 * | Redis   | `P + "v1:{m|c}:dek"`                | the collection's data key `id.kid.wrapped`        |
 * | Deno KV | `[...P, "dek", "v1", m, c]`         | the collection's data key `{id, kid, wrapped}`    |
 *
 * | Deno KV | `[...P, "auth", "v1", "key", id]`  | API key record `{id, name, role, collections, created_at, revoked_at, hash}` |
 * | Redis   | `P + "auth:v1:keys"`                | hash key id -> API key record JSON                |
 * | Redis   | `P + "ratelimit:v1:" + id + ":" + w` | request count of identifier `id` in window `w` (`@upstash/ratelimit`) |
 *
 * The Redis keys of one collection share the hash tag `{m|c}`, so a script touching them is valid
 * on a clustered Redis too. Names never contain `:`, `|`, `{` or `}`, so keys cannot collide.
 *
 * @module
 */

import { FaceError } from "../errors.ts";
import type { CollectionRef } from "./faces/face_store.ts";

/** Version of the key schema; bump it when the layout of keys or values changes. */
export const SCHEMA_VERSION = "v1";

const NAME_RE = /^[A-Za-z0-9_.@-]{1,128}$/;
const MODEL_RE = /^[A-Za-z0-9_.@/+-]{1,128}$/;
const FACE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** What a validated name is, for error messages. */
export type NameKind = "collection" | "subject" | "model" | "face id";

/**
 * Checks a collection, subject, model or face id name and returns it unchanged.
 *
 * Collections and subjects match `[A-Za-z0-9_.@-]{1,128}` and are not `.` or `..` (HTTP clients
 * rewrite such path segments, so those names would be unreachable); model ids `[A-Za-z0-9_.@/+-]{1,128}`;
 * face ids `[A-Za-z0-9_-]{1,64}`.
 *
 * @param kind What the name names (used in the message).
 * @param name The candidate name.
 * @returns `name`.
 * @throws {FaceError} `invalid_request` when the name does not match its pattern.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateName } from "./keys.ts";
 * assert.equal(validateName("subject", "alice@example.org"), "alice@example.org");
 * ```
 */
export function validateName(kind: NameKind, name: string): string {
  const re = kind === "model" ? MODEL_RE : kind === "face id" ? FACE_ID_RE : NAME_RE;
  if (typeof name !== "string" || !re.test(name) || name === "." || name === "..") {
    const shown = typeof name === "string" ? JSON.stringify(name.slice(0, 40)) : typeof name;
    throw new FaceError(
      "invalid_request",
      name === "." || name === ".."
        ? `Cannot use ${kind} ${shown}: "." and ".." are path segments, not names`
        : `Cannot use ${kind} ${shown}: it must match ${re.source}`,
      { details: { field: kind.replace(" ", "_") } },
    );
  }
  return name;
}

/** Keys of one collection in a Deno KV store. */
export interface KvCollectionKeys {
  /** Prefix of every key of the collection. */
  collection: Deno.KvKey;
  /** Prefix of the subject summaries; `[...subjects, name]` is one subject. */
  subjects: Deno.KvKey;
  /** Prefix of the faces; `[...faces, subject, faceId]` is one face. */
  faces: Deno.KvKey;
  /** Set to a fresh random token by every write of the collection (gallery cache validation). */
  version: Deno.KvKey;
  /** Key of one subject summary. */
  subject(subject: string): Deno.KvKey;
  /** Prefix of the faces of one subject. */
  subjectFaces(subject: string): Deno.KvKey;
  /** Key of one face. */
  face(subject: string, faceId: string): Deno.KvKey;
  /** The collection's wrapped data key (outside `collection`, so rotation lists only keys). */
  dataKey: Deno.KvKey;
}

/**
 * Validates `ref` and returns the Deno KV keys of its collection under `prefix`.
 *
 * @param ref Model and collection.
 * @param prefix Key parts put before everything (e.g. `["facegate"]`). Default: `[]`.
 * @returns Key builders for the collection; subject and face id arguments are validated too.
 * @throws {FaceError} `invalid_request` for an invalid model, collection, subject or face id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvCollectionKeys } from "./keys.ts";
 * const keys = kvCollectionKeys({ model: "m@1", collection: "staff" }, ["app"]);
 * assert.equal(keys.subject("bob").join("/"), "app/v1/m@1/staff/s/bob");
 * ```
 */
export function kvCollectionKeys(
  ref: CollectionRef,
  prefix: readonly Deno.KvKeyPart[] = [],
): KvCollectionKeys {
  const model = validateName("model", ref.model);
  const collection = validateName("collection", ref.collection);
  const base = [...prefix, SCHEMA_VERSION, model, collection];
  const subjects = [...base, "s"];
  const faces = [...base, "f"];
  return {
    collection: base,
    subjects,
    faces,
    version: [...base, "version"],
    dataKey: [...prefix, "dek", SCHEMA_VERSION, model, collection],
    subject: (s) => [...subjects, validateName("subject", s)],
    subjectFaces: (s) => [...faces, validateName("subject", s)],
    face: (s, f) => [...faces, validateName("subject", s), validateName("face id", f)],
  };
}

/** Keys of one collection in a Redis store. */
export interface RedisCollectionKeys {
  /** Sorted set of subject names. */
  subjects: string;
  /** Hash face id -> packed gallery record. */
  gallery: string;
  /** String set to a fresh random token by every write of the collection. */
  version: string;
  /** Common start of the per-subject keys: `subjectPrefix + "subject:" + name`. */
  base: string;
  /** Hash of one subject's summary fields. */
  subject(subject: string): string;
  /** Hash face id -> face JSON of one subject. */
  faces(subject: string): string;
  /** String `id.kid.wrapped`: the collection's wrapped data key. */
  dataKey: string;
  /** Hash subject -> `expires_at` of the subjects that have an expiry. */
  expiries: string;
}

/**
 * Validates `ref` and returns the Redis keys of its collection under `prefix`.
 *
 * @param ref Model and collection.
 * @param prefix String put before every key (e.g. `"facegate:"`). Default: `""`.
 * @returns Key builders for the collection; subject arguments are validated too.
 * @throws {FaceError} `invalid_request` for an invalid model, collection or subject.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisCollectionKeys } from "./keys.ts";
 * const keys = redisCollectionKeys({ model: "m@1", collection: "staff" }, "fg:");
 * assert.equal(keys.subject("bob"), "fg:v1:{m@1|staff}:subject:bob");
 * ```
 */
export function redisCollectionKeys(ref: CollectionRef, prefix = ""): RedisCollectionKeys {
  const model = validateName("model", ref.model);
  const collection = validateName("collection", ref.collection);
  const base = `${prefix}${SCHEMA_VERSION}:{${model}|${collection}}:`;
  return {
    subjects: `${base}subjects`,
    gallery: `${base}gallery`,
    version: `${base}version`,
    dataKey: `${base}dek`,
    expiries: `${base}expiry`,
    base,
    subject: (s) => `${base}subject:${validateName("subject", s)}`,
    faces: (s) => `${base}faces:${validateName("subject", s)}`,
  };
}

/**
 * Deno KV key of one API key record, or the prefix of all of them when `id` is omitted.
 *
 * @param prefix Key parts put before everything. Default: `[]`.
 * @param id Key id (16 hex digits). Default: none (the prefix of every record).
 * @returns `[...prefix, "auth", SCHEMA_VERSION, "key", id?]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvApiKeyKey } from "./keys.ts";
 * assert.equal(kvApiKeyKey(["fg"], "00ff").join("/"), "fg/auth/v1/key/00ff");
 * ```
 */
export function kvApiKeyKey(prefix: readonly Deno.KvKeyPart[] = [], id?: string): Deno.KvKey {
  const base = [...prefix, "auth", SCHEMA_VERSION, "key"];
  return id === undefined ? base : [...base, id];
}

/**
 * Redis keys of the auth records under `prefix`: the hash of API key records and the prefix of
 * the rate limiter's counters.
 *
 * @param prefix String put before every key. Default: `""`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisAuthKeys } from "./keys.ts";
 * assert.equal(redisAuthKeys("fg:").apiKeys, "fg:auth:v1:keys");
 * ```
 */
export function redisAuthKeys(prefix = ""): { apiKeys: string; rateLimit: string } {
  return {
    apiKeys: `${prefix}auth:${SCHEMA_VERSION}:keys`,
    rateLimit: `${prefix}ratelimit:${SCHEMA_VERSION}`,
  };
}

const LIVENESS_ID_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** What a liveness session key holds: the session, or the marker of one single-use step. */
export type LivenessSessionPart = "session" | "frames" | "token";

/**
 * Checks a liveness challenge session id (`[A-Za-z0-9_-]{16,64}`) and returns it.
 *
 * @throws {FaceError} `invalid_liveness_session` for anything else (the client sent it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateLivenessSessionId } from "./keys.ts";
 * assert.equal(validateLivenessSessionId("AAAAAAAAAAAAAAAAAAAAAA"), "AAAAAAAAAAAAAAAAAAAAAA");
 * assert.throws(() => validateLivenessSessionId("a:b"), { code: "invalid_liveness_session" });
 * ```
 */
export function validateLivenessSessionId(id: string): string {
  if (typeof id !== "string" || !LIVENESS_ID_RE.test(id)) {
    throw new FaceError(
      "invalid_liveness_session",
      "Cannot use liveness session: unknown, expired or already used",
    );
  }
  return id;
}

/**
 * The Deno KV key of a liveness challenge session (`part: "session"`) or of the marker that its
 * frames were sent / its token redeemed (`"frames"`, `"token"`); not scoped by model (the
 * session records its recipe).
 *
 * | store   | key                                          | value                                       |
 * | ------- | -------------------------------------------- | ------------------------------------------- |
 * | Deno KV | `[...P, "v1", "liveness", id, part]`         | session `StoredLivenessSession`, or `true`  |
 * | Redis   | `P + "v1:liveness:" + id + ":" + part`       | its JSON, or `"1"`                          |
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvLivenessKey } from "./keys.ts";
 * const id = "AAAAAAAAAAAAAAAAAAAAAA";
 * assert.deepEqual(kvLivenessKey(id, "frames", ["fg"]), ["fg", "v1", "liveness", id, "frames"]);
 * ```
 */
export function kvLivenessKey(
  id: string,
  part: LivenessSessionPart,
  prefix: readonly Deno.KvKeyPart[] = [],
): Deno.KvKey {
  return [...prefix, SCHEMA_VERSION, "liveness", validateLivenessSessionId(id), part];
}

/**
 * The Redis key of a liveness challenge session or of one of its markers (see
 * {@linkcode kvLivenessKey}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisLivenessKey } from "./keys.ts";
 * const id = "AAAAAAAAAAAAAAAAAAAAAA";
 * assert.equal(redisLivenessKey(id, "token", "fg:"), `fg:v1:liveness:${id}:token`);
 * ```
 */
export function redisLivenessKey(id: string, part: LivenessSessionPart, prefix = ""): string {
  return `${prefix}${SCHEMA_VERSION}:liveness:${validateLivenessSessionId(id)}:${part}`;
}
