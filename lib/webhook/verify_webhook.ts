/**
 * Verification of incoming webhooks per the Standard Webhooks spec (headers `webhook-id`,
 * `webhook-timestamp`, `webhook-signature`).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { importWebhookKey } from "./sign_webhook.ts";

/** Options for {@linkcode verifyWebhook}. */
export interface VerifyWebhookOptions {
  /** Accepted secrets (`whsec_<base64>`); several during a rotation. Must not be empty. */
  secrets: readonly string[];
  /** Largest accepted distance between the timestamp and now, in seconds. Default: 300. */
  toleranceSeconds?: number;
  /** Current time in milliseconds since the epoch. Default: `Date.now()`. */
  now?: number;
}

/** What a verified delivery is. */
export interface VerifiedWebhook {
  /** The `webhook-id` (the idempotency key of the delivery). */
  id: string;
  /** The `webhook-timestamp`, seconds since the epoch. */
  timestamp: number;
  /** Index in `options.secrets` of the secret whose signature matched. */
  secretIndex: number;
}

const ID_RE = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP_RE = /^\d{1,15}$/;
const SIGNATURE_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks the signature and timestamp of a delivery. Each space-separated `v1,<base64>` entry of
 * `webhook-signature` is checked against each secret with `crypto.subtle.verify`, which compares
 * in constant time; entries of other versions (`v1a,...`) are ignored.
 *
 * @param headers The request headers.
 * @param body The exact request body, as received.
 * @param options See {@linkcode VerifyWebhookOptions}.
 * @returns The id and timestamp.
 * @throws {FaceError} `unauthorized` when a header is missing or malformed, the timestamp is
 *   outside the tolerance, or no signature matches. The message never contains a secret.
 * @throws {RangeError} When `options.secrets` is empty or holds a malformed secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyWebhook } from "./verify_webhook.ts";
 * const headers = new Headers({
 *   "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
 *   "webhook-timestamp": "1614265330",
 *   "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
 * });
 * const verified = await verifyWebhook(headers, '{"test": 2432232314}', {
 *   secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
 *   now: 1614265330_000,
 * });
 * assert.equal(verified.id, "msg_p5jXN8AQM9LWM0D4loKWxJek");
 * ```
 */
export async function verifyWebhook(
  headers: Headers,
  body: string,
  options: VerifyWebhookOptions,
): Promise<VerifiedWebhook> {
  if (options.secrets.length === 0) throw new RangeError("verifyWebhook needs at least one secret");
  const keys = await Promise.all(options.secrets.map((s) => importWebhookKey(s, ["verify"])));
  const id = headers.get("webhook-id");
  const ts = headers.get("webhook-timestamp");
  const sig = headers.get("webhook-signature");
  if (id === null || ts === null || sig === null) {
    throw refused("the webhook-id, webhook-timestamp and webhook-signature headers are required");
  }
  if (!ID_RE.test(id)) throw refused("webhook-id must be 1 to 256 printable ASCII characters");
  if (!TIMESTAMP_RE.test(ts)) throw refused("webhook-timestamp must be whole seconds");
  const timestamp = Number(ts);
  const tolerance = options.toleranceSeconds ?? 300;
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > tolerance) {
    throw refused(`webhook-timestamp is more than ${tolerance} s away from the server's clock`, {
      tolerance_seconds: tolerance,
    });
  }
  const content = new TextEncoder().encode(`${id}.${ts}.${body}`);
  for (const entry of sig.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const mac = decodeSignature(entry.slice(comma + 1));
    if (mac === undefined) continue;
    for (const [secretIndex, key] of keys.entries()) {
      if (await crypto.subtle.verify("HMAC", key, mac, content)) {
        return { id, timestamp, secretIndex };
      }
    }
  }
  throw refused("no v1 signature matches a configured secret");
}

function decodeSignature(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!SIGNATURE_RE.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.fromBase64(text);
}

function refused(why: string, details?: Record<string, unknown>): FaceError {
  return new FaceError("unauthorized", `Cannot accept webhook: ${why}`, { details });
}
