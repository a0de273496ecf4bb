/**
 * Signing of webhook deliveries per the Standard Webhooks spec: `v1,` + base64 of
 * HMAC-SHA256(key, `${id}.${timestamp}.${body}`).
 *
 * @module
 */
import { decodeWebhookSecret } from "./webhook_secret.ts";

/** Imports a Standard Webhooks secret as an HMAC-SHA256 key for `usages`. */
export function importWebhookKey(
  secret: string,
  usages: Array<"sign" | "verify">,
): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    decodeWebhookSecret(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    usages,
  );
}

/**
 * The `webhook-signature` header value for one delivery.
 *
 * @param secret `whsec_<base64>` (see `decodeWebhookSecret`).
 * @param id The `webhook-id`.
 * @param timestamp The `webhook-timestamp`, in whole seconds since the epoch.
 * @param body The exact request body.
 * @returns `v1,<base64 signature>`.
 * @throws {RangeError} For a malformed secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signWebhook } from "./sign_webhook.ts";
 * // The Standard Webhooks spec's published example.
 * const sig = await signWebhook(
 *   "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
 *   "msg_p5jXN8AQM9LWM0D4loKWxJek",
 *   1614265330,
 *   '{"test": 2432232314}',
 * );
 * assert.equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
 * ```
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await importWebhookKey(secret, ["sign"]);
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
  return `v1,${mac.toBase64()}`;
}
