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

/** Most entries accepted in one `webhook-signature` header (one HMAC per entry per secret). */
export const MAX_WEBHOOK_SIGNATURES = 8;
/** Largest `webhook-signature` header accepted, in characters (8 entries take under 400). */
export const MAX_WEBHOOK_SIGNATURE_HEADER = 1024;

/** What the headers of a delivery say, checked before its body is read. */
export interface WebhookHeaders {
  /** The `webhook-id`. */
  id: string;
  /** The `webhook-timestamp` as sent. */
  ts: string;
  /** The `webhook-timestamp`, seconds since the epoch. */
  timestamp: number;
  /** The decoded `v1` signatures (at most {@linkcode MAX_WEBHOOK_SIGNATURES}). */
  signatures: Uint8Array<ArrayBuffer>[];
}

const ID_RE = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP_RE = /^\d{1,15}$/;
const SIGNATURE_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks the signature and timestamp of a delivery. Each space-separated `v1,<base64>` entry of
 * `webhook-signature` (at most {@linkcode MAX_WEBHOOK_SIGNATURES}, see
 * {@linkcode checkWebhookHeaders}) is checked against each secret with `crypto.subtle.verify`,
 * which compares in constant time; entries of other versions (`v1a,...`) are ignored.
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
  const { id, ts, timestamp, signatures } = checkWebhookHeaders(headers, options);
  const keys = await Promise.all(options.secrets.map((s) => importWebhookKey(s, ["verify"])));
  const content = new TextEncoder().encode(`${id}.${ts}.${body}`);
  for (const mac of signatures) {
    for (const [secretIndex, key] of keys.entries()) {
      if (await crypto.subtle.verify("HMAC", key, mac, content)) {
        return { id, timestamp, secretIndex };
      }
    }
  }
  throw refused("no v1 signature matches a configured secret");
}

/**
 * Checks what can be checked of a delivery without its body and without a secret: the three
 * headers present and well formed, the timestamp within the tolerance, and at most
 * {@linkcode MAX_WEBHOOK_SIGNATURES} entries in a `webhook-signature` of at most
 * {@linkcode MAX_WEBHOOK_SIGNATURE_HEADER} characters (so one delivery costs at most 8 HMACs per
 * secret). The server runs it before reading the body.
 *
 * @returns The parsed headers.
 * @throws {FaceError} `unauthorized`, as {@linkcode verifyWebhook}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWebhookHeaders } from "./verify_webhook.ts";
 * const sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
 * const headers = (n: number) =>
 *   new Headers({
 *     "webhook-id": "msg_1",
 *     "webhook-timestamp": "1614265330",
 *     "webhook-signature": Array(n).fill(sig).join(" "),
 *   });
 * const now = 1614265330_000;
 * assert.equal(checkWebhookHeaders(headers(8), { now }).signatures.length, 8);
 * assert.throws(() => checkWebhookHeaders(headers(9), { now }), { code: "unauthorized" });
 * ```
 */
export function checkWebhookHeaders(
  headers: Headers,
  options: Omit<VerifyWebhookOptions, "secrets">,
): WebhookHeaders {
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
  if (sig.length > MAX_WEBHOOK_SIGNATURE_HEADER) {
    throw refused(
      `webhook-signature is longer than ${MAX_WEBHOOK_SIGNATURE_HEADER} characters`,
      { max_signature_header: MAX_WEBHOOK_SIGNATURE_HEADER },
    );
  }
  const entries = sig.split(" ").filter((e) => e !== "");
  if (entries.length > MAX_WEBHOOK_SIGNATURES) {
    throw refused(`webhook-signature holds more than ${MAX_WEBHOOK_SIGNATURES} signatures`, {
      max_signatures: MAX_WEBHOOK_SIGNATURES,
    });
  }
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const entry of entries) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const mac = decodeSignature(entry.slice(comma + 1));
    if (mac !== undefined) signatures.push(mac);
  }
  if (signatures.length === 0) throw refused("webhook-signature holds no v1 signature");
  return { id, ts, timestamp, signatures };
}

function decodeSignature(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!SIGNATURE_RE.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.fromBase64(text);
}

function refused(why: string, details?: Record<string, unknown>): FaceError {
  return new FaceError("unauthorized", `Cannot accept webhook: ${why}`, { details });
}
