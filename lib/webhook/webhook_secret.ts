/**
 * Decoding of Standard Webhooks signing secrets (`whsec_` + base64 of the key bytes).
 *
 * @module
 */

/** Fewest key bytes accepted (the Standard Webhooks spec recommends 24 to 64). */
export const MIN_WEBHOOK_SECRET_BYTES = 16;

/**
 * The HMAC key bytes of a Standard Webhooks secret.
 *
 * @param secret `whsec_<base64>`; the `whsec_` prefix may be omitted.
 * @returns The decoded key (at least {@linkcode MIN_WEBHOOK_SECRET_BYTES} bytes).
 * @throws {RangeError} When the secret is not base64 or is too short. The message never contains
 *   the secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWebhookSecret } from "./webhook_secret.ts";
 * assert.equal(decodeWebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").length, 24);
 * assert.throws(() => decodeWebhookSecret("whsec_not base64!"), RangeError);
 * ```
 */
export function decodeWebhookSecret(secret: string): Uint8Array<ArrayBuffer> {
  const text = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) {
    throw new RangeError("Cannot use webhook secret: it is not whsec_ followed by base64");
  }
  let key: Uint8Array<ArrayBuffer>;
  try {
    key = Uint8Array.fromBase64(text);
  } catch {
    throw new RangeError("Cannot use webhook secret: it is not whsec_ followed by base64");
  }
  if (key.length < MIN_WEBHOOK_SECRET_BYTES) {
    throw new RangeError(
      `Cannot use webhook secret: it decodes to ${key.length} bytes, fewer than ${MIN_WEBHOOK_SECRET_BYTES}`,
    );
  }
  return key;
}
