/**
 * Turning an `Authorization` header into a valid, unrevoked key, or `unauthorized`.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type ApiKeyInfo, keyInfo, parseApiKey } from "./api_key.ts";
import { verifyApiKeyHash } from "./hash_api_key.ts";
import type { KeyStore } from "./key_store.ts";

/** Why authentication failed, for the `WWW-Authenticate` header (RFC 6750). */
export type AuthFailure = "missing" | "invalid";

/**
 * Authenticates `Authorization: Bearer <key>`.
 *
 * @param store The key store.
 * @param header The `Authorization` header, if any.
 * @param pepper The configured pepper. Default: none.
 * @returns The key's info.
 * @throws {FaceError} `unauthorized` (with `details.reason` `missing` or `invalid`) when the
 *   header is absent or malformed, the key is unknown, wrong or revoked; the message never
 *   contains the key. `store_unavailable` when the store fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authenticateApiKey, createApiKey, MemoryKeyStore } from "./mod.ts";
 * const store = new MemoryKeyStore();
 * const { key } = await createApiKey(store, { name: "k", role: "admin", collections: "*" });
 * assert.equal((await authenticateApiKey(store, `Bearer ${key}`)).role, "admin");
 * await assert.rejects(authenticateApiKey(store, "Bearer nope"), { code: "unauthorized" });
 * ```
 */
export async function authenticateApiKey(
  store: KeyStore,
  header: string | undefined,
  pepper?: string,
): Promise<ApiKeyInfo> {
  const m = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (m === null) {
    throw fail("missing", "Cannot authenticate: send an API key as `Authorization: Bearer <key>`");
  }
  const parsed = parseApiKey(m[1]);
  if (parsed === null) throw fail("invalid", "Cannot authenticate: the API key is malformed");
  const record = await store.get(parsed.id);
  // Hash even when the id is unknown, so both failures take about the same time.
  const ok = await verifyApiKeyHash(parsed.key, record?.hash ?? "sha256:", pepper);
  if (record === null || !ok) {
    throw fail("invalid", "Cannot authenticate: the API key is not valid");
  }
  if (record.revoked_at !== null) {
    throw fail("invalid", "Cannot authenticate: the API key was revoked");
  }
  return keyInfo(record);
}

function fail(reason: AuthFailure, message: string): FaceError {
  return new FaceError("unauthorized", message, { details: { reason } });
}
