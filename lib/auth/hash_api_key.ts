/**
 * Hashing and checking API keys. Keys carry 256 random bits, so one fast hash suffices (no
 * password stretching): SHA-256 of the whole key, or HMAC-SHA-256 keyed with a server-side
 * pepper (`FACEGATE_KEY_PEPPER`) so a leaked store alone cannot even confirm a guessed key.
 *
 * @module
 */
import { encodeHex } from "../encoding/mod.ts";

const encoder = new TextEncoder();

/**
 * Hashes a key for storage.
 *
 * @param key The whole key.
 * @param pepper Server secret; when given the hash is `hmac-sha256:<hex>`. Default: none
 *   (`sha256:<hex>`).
 * @returns The stored form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashApiKey } from "./hash_api_key.ts";
 * assert.ok((await hashApiKey("fg_x")).startsWith("sha256:"));
 * assert.ok((await hashApiKey("fg_x", "pepper-pepper-pepper")).startsWith("hmac-sha256:"));
 * ```
 */
export async function hashApiKey(key: string, pepper?: string): Promise<string> {
  if (pepper === undefined) {
    return "sha256:" + encodeHex(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
  }
  const hmacKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(pepper),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return "hmac-sha256:" + encodeHex(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(key)));
}

/**
 * Checks a presented key against a stored hash in constant time (in the hash length). With a
 * pepper configured only `hmac-sha256:` hashes made with it are accepted: a plain `sha256:` hash
 * (a key made before the pepper, or written into the store by someone who knows no pepper) is
 * refused, so the pepper really guards the key store; keys made before it must be re-issued.
 * Without a pepper only `sha256:` hashes are checked.
 *
 * @param key The presented key.
 * @param stored The stored hash.
 * @param pepper The configured pepper. Default: none.
 * @returns Whether the key matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashApiKey, verifyApiKeyHash } from "./hash_api_key.ts";
 * const stored = await hashApiKey("fg_a");
 * assert.ok(await verifyApiKeyHash("fg_a", stored));
 * assert.ok(!(await verifyApiKeyHash("fg_b", stored)));
 * assert.ok(!(await verifyApiKeyHash("fg_a", stored, "pepper-pepper-pepper")));
 * ```
 */
export async function verifyApiKeyHash(
  key: string,
  stored: string,
  pepper?: string,
): Promise<boolean> {
  let computed: string;
  if (stored.startsWith("sha256:") && pepper === undefined) computed = await hashApiKey(key);
  else if (stored.startsWith("hmac-sha256:") && pepper !== undefined) {
    computed = await hashApiKey(key, pepper);
  } else return false;
  return timingSafeEqual(computed, stored);
}

/**
 * Compares two strings in time that depends only on their lengths (unequal lengths are unequal
 * at once: lengths of hashes are not secret).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timingSafeEqual } from "./hash_api_key.ts";
 * assert.ok(timingSafeEqual("abc", "abc") && !timingSafeEqual("abc", "abd"));
 * ```
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
