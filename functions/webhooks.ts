/**
 * `POST /v1/webhooks/upload`: the upload service reports a finished upload; facegate fetches the
 * image and enrolls, verifies or identifies it.
 *
 * - Authentication is the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 *   `webhook-signature`) with any of the configured secrets, the timestamp within the tolerance;
 *   anything else is 401 `unauthorized` and is never recorded. No API key is needed. Nothing
 *   shared is taken before the signature is verified (see `_limits.ts`): the delivery then takes
 *   a pipeline slot.
 * - Delivery ids are scoped per secret: the same `webhook-id` signed with another secret is
 *   another delivery (a replay of collection A's delivery under B's secret is checked against
 *   B's scope, 403, and never sees A's answer).
 * - Each `webhook-id` runs at most once: the first delivery takes a lease (2 min) in the
 *   idempotency store, and its answer (2xx and 4xx alike) is kept for the TTL (24 h) and replayed
 *   byte for byte, with `webhook-replayed: true`, to redeliveries. A duplicate arriving while the
 *   first is running gets 409 `conflict` with `Retry-After` (it does not wait). A 5xx answer
 *   (timeouts, upstream or store failures) releases the lease so the sender's retry runs again.
 *   The same id with a different body is 409 `conflict`. An answer naming a subject (enroll,
 *   verify, identify candidates) is erased when that subject, one of its faces or the collection
 *   is deleted; a redelivery then gets 409 `conflict` with `reason: "erased"` and is not run
 *   again.
 * - The image URL is fetched with `safeFetch` (https, host allowlist, public addresses, checked
 *   redirects, `FACEGATE_MAX_BODY_BYTES` cap, deadline).
 * - With `FACEGATE_WEBHOOK_CALLBACK_URL`, a successful result is also POSTed there, signed with
 *   the secret that verified the delivery; callback failures are logged, never fatal.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { findMentions, type IdempotencyStore } from "../lib/store/mod.ts";
import { type ProcessedUpload, processUpload, sendUploadCallback } from "../lib/usecases/mod.ts";
import { type DnsResolver, type UploadData, verifyWebhook } from "../lib/webhook/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { runIdempotent } from "./_idempotent_request.ts";
import { inPipelineSlot } from "./_limits.ts";
import type { ConcurrencyGate } from "../lib/limits/mod.ts";

/** Injected dependencies of {@linkcode webhookRoutes}; tests and other entries may set them. */
export interface WebhookRoutesOptions {
  /**
   * Idempotency records (`AppDeps.idempotency`). Required when webhooks are on with a store other
   * than memory; default: the app's (`Services.idempotency`, in memory).
   */
  idempotency?: IdempotencyStore;
  /** Outbound fetch. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** DNS resolver for the address checks. Default: `Deno.resolveDns` where available. */
  resolveDns?: DnsResolver | null;
  /** Clock in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
  /**
   * The pipeline gate a verified delivery waits for (`Limits.gate`). Default: none (the app
   * always passes its own).
   */
  gate?: ConcurrencyGate;
}

/** Largest webhook body accepted (the payload is a small JSON document). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** How long the first delivery of an id may run before a redelivery may run it again. */
export const WEBHOOK_LEASE_MS = 120_000;

/**
 * The idempotency scope of deliveries verified by `secret`: `webhook_` + 16 letters a–p from its
 * SHA-256, so a delivery id is never shared between secrets (and the scope names no secret).
 */
export async function webhookScope(secret: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)),
  );
  let letters = "";
  for (const b of digest.subarray(0, 8)) {
    letters += String.fromCharCode(97 + (b >> 4), 97 + (b & 15));
  }
  return `webhook_${letters}`;
}

/**
 * The webhook sub-app.
 *
 * @throws {TypeError} When webhooks are on with a store other than memory and
 *   `options.idempotency` is missing.
 */
export function webhookRoutes(s: Services, options: WebhookRoutesOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const wh = s.config.webhook;
  const now = options.now ?? Date.now;
  const ttlMs = wh.idempotencyTtlSeconds * 1000;
  if (
    options.idempotency === undefined && wh.secrets.length > 0 && s.config.store.kind !== "memory"
  ) {
    throw new TypeError(
      `createApp: webhooks are on with the ${s.config.store.kind} store but no idempotency store ` +
        "was given (deps.idempotency); open the backend with openBackend(config.store) from " +
        "lib/backend/mod.ts",
    );
  }
  // The app's own store by default, so that deletes erase the webhook's answers too.
  const idempotency = options.idempotency ?? s.idempotency;
  if (wh.allowInsecureLoopback) {
    s.logger.info({
      level: "warn",
      msg: "FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK is set: webhooks may fetch http:// and loopback " +
        "URLs. Never use this outside tests.",
    });
  }
  const fetchPolicy = {
    allowedHosts: wh.allowedHosts,
    allowInsecureLoopback: wh.allowInsecureLoopback,
    maxRedirects: wh.maxRedirects,
    timeoutMs: wh.fetchTimeoutMs,
    fetch: options.fetch,
    resolveDns: options.resolveDns,
  };

  s.api.route(app, {
    method: "post",
    path: "/v1/webhooks/upload",
    operationId: "uploadWebhook",
    access: { public: "authenticated by its own signature (functions/webhooks.ts)" },
    limit: "webhook",
    summary: "Upload-service webhook",
    description: 'Standard Webhooks delivery of `{type: "upload.completed", data: {url, ' +
      "collection, action: enroll|identify|verify, subject?, metadata?}}`. Authenticated by " +
      "`webhook-signature`, not by API key. Fetches `data.url` (https, allowlisted public hosts) " +
      "and answers `{id, action, result}` with the route's result. Redeliveries of a " +
      "`webhook-id` replay the first answer.",
    tag: "webhooks",
    body: {
      "application/json": {
        type: "object",
        properties: { type: { type: "string" }, data: { type: "object" } },
        required: ["type", "data"],
      },
    },
    status: 200,
    response: {
      type: "object",
      properties: { id: { type: "string" }, action: { type: "string" }, result: {} },
      required: ["id", "action", "result"],
    },
    problems: [
      "unauthorized",
      "not_found",
      "invalid_request",
      "conflict",
      "unsupported_event",
      "url_not_allowed",
      "image_too_large",
      "invalid_image",
      "no_face",
      "multiple_faces",
      "low_quality",
      "subject_not_found",
      "upstream_failed",
      "model_unavailable",
    ],
  }, async (c) => {
    if (wh.secrets.length === 0) {
      throw new FaceError("not_found", "Cannot accept webhook: FACEGATE_WEBHOOK_SECRET is not set");
    }
    // At most MAX_WEBHOOK_BODY_BYTES: the limits middleware refused anything larger unread.
    const body = await c.req.text();
    const { id, secretIndex } = await verifyWebhook(c.req.raw.headers, body, {
      secrets: wh.secrets,
      toleranceSeconds: wh.toleranceSeconds,
      now: now(),
    });
    // Signed: give back the unverified budget, and only now wait for a pipeline slot.
    c.get("webhookVerified")?.();
    const run = () => deliver(c, body, id, secretIndex);
    return options.gate ? await inPipelineSlot(options.gate, c.req.raw.signal, run) : await run();
  });

  /** Runs a verified delivery once per (secret, id). */
  async function deliver(
    c: Context<AppEnv>,
    body: string,
    id: string,
    secretIndex: number,
  ): Promise<Response> {
    const fingerprint = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)),
    ).toBase64();
    let processed: ProcessedUpload | undefined; // set when this delivery ran the action
    let about: UploadData | undefined; // the event, once parsed
    const res = await runIdempotent({
      store: idempotency,
      scope: await webhookScope(wh.secrets[secretIndex]),
      key: id,
      keyName: "webhook-id",
      action: "accept webhook",
      fingerprint,
      leaseMs: WEBHOOK_LEASE_MS,
      ttlMs,
      replayHeader: "webhook-replayed",
      requestId: c.get("requestId"),
      instance: c.req.path,
      mentions: (res) =>
        findMentions(res.body, {
          collection: about?.collection,
          subject: about?.subject,
        }),
    }, async () => {
      processed = await processUpload(
        s,
        {
          id,
          body,
          secretIndex,
          scope: wh.scopes[secretIndex] ?? "*",
          requestId: c.get("requestId"),
        },
        fetchPolicy,
        (data) => about = data,
      );
      return c.json(processed, 200);
    });
    if (processed !== undefined && wh.callbackUrl !== undefined) {
      const sent = await sendUploadCallback(processed, {
        url: wh.callbackUrl,
        secret: wh.secrets[secretIndex],
        nowMs: now(),
        maxBytes: MAX_WEBHOOK_BODY_BYTES,
      }, fetchPolicy);
      if (sent.sent) {
        s.logger.info({ msg: "webhook callback sent", webhook_id: sent.id, status: sent.status });
      } else {
        s.logger.error({
          msg: "webhook callback failed",
          webhook_id: sent.id,
          code: sent.code,
          error: sent.error,
        });
      }
    }
    return res;
  }

  return app;
}
