/**
 * API keys: their format, their stored record and the roles they carry.
 *
 * A key is `fg_<id>_<secret>`: `id` is 16 hex digits (64 random bits, the lookup key in the
 * store, not secret), `secret` is 43 base64url characters (256 random bits). The whole key is
 * shown once, at creation; the store keeps only its hash (see `hash_api_key.ts`).
 *
 * @module
 */
import { encodeHex } from "../encoding/mod.ts";

/** What a key may do; see `roles.ts` for the matrix. */
export type Role = "admin" | "enroll" | "verify";

/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ["admin", "enroll", "verify"];

/** An API key as the store keeps it. `hash` is secret-derived: never log or return it. */
export interface ApiKeyRecord {
  /** Key id (16 hex digits), also the second part of the key. */
  id: string;
  /** Human label, e.g. `"kiosk-3"`. */
  name: string;
  /** What the key may do. */
  role: Role;
  /** Collections the key may touch: a list of names, or `"*"` for every collection. */
  collections: "*" | string[];
  /** ISO-8601 creation time. */
  created_at: string;
  /** ISO-8601 revocation time, or null while the key is valid. */
  revoked_at: string | null;
  /** `sha256:<hex>` or `hmac-sha256:<hex>` of the whole key. */
  hash: string;
}

/** An API key without its hash: what listings, logs and the app see. */
export type ApiKeyInfo = Omit<ApiKeyRecord, "hash">;

const KEY_RE = /^fg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
/** Pattern of key ids. */
export const KEY_ID_RE = /^[0-9a-f]{16}$/;

/** A freshly generated key: the secret `key` and its public `id`. */
export interface GeneratedApiKey {
  /** The key id. */
  id: string;
  /** The whole key, `fg_<id>_<secret>`: show it once, store only its hash. */
  key: string;
}

/**
 * Generates a random key (64-bit id, 256-bit secret) with `crypto.getRandomValues`.
 *
 * @returns The key and its id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateApiKey, parseApiKey } from "./api_key.ts";
 * const { id, key } = generateApiKey();
 * assert.ok(parseApiKey(key)?.id === id);
 * ```
 */
export function generateApiKey(): GeneratedApiKey {
  const id = encodeHex(crypto.getRandomValues(new Uint8Array(8)));
  const secret = crypto.getRandomValues(new Uint8Array(32))
    .toBase64({ alphabet: "base64url", omitPadding: true });
  return { id, key: `fg_${id}_${secret}` };
}

/**
 * Splits a presented key into its id, without judging the secret.
 *
 * @param token What the client sent after `Bearer `.
 * @returns `{id, key}`, or null when `token` is not shaped like a key.
 */
export function parseApiKey(token: string): GeneratedApiKey | null {
  const m = KEY_RE.exec(token);
  return m ? { id: m[1], key: token } : null;
}

/** The record without its hash. */
export function keyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, ...info } = record;
  return info;
}
