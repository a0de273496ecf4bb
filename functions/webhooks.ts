/**
 * `POST /v1/webhooks/upload`: the upload service reports a finished upload; facegate fetches the
 * image and enrolls, verifies or identifies it.
 *
 * - Authentication is the Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 *   `webhook-signature`) with any of the configured secrets, the timestamp within the tolerance;
 *   anything else is 401 `unauthorized` and is never recorded. No API key is needed.
 * - Each `webhook-id` runs at most once: the first delivery takes a lease (2 min) in the
 *   idempotency store, and its answer (2xx and 4xx alike) is kept for the TTL (24 h) and replayed
 *   byte for byte, with `webhook-replayed: true`, to redeliveries. A duplicate arriving while the
 *   first is running gets 409 `conflict` with `Retry-After` (it does not wait). A 5xx answer
 *   (timeouts, upstream or store failures) releases the lease so the sender's retry runs again.
 *   The same id with a different body is 409 `conflict`.
 * - The image URL is fetched with `safeFetch` (https, host allowlist, public addresses, checked
 *   redirects, `FACEGATE_MAX_BODY_BYTES` cap, deadline).
 * - With `FACEGATE_WEBHOOK_CALLBACK_URL`, a successful result is also POSTed there, signed with
 *   the first secret; callback failures are logged, never fatal.
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import {
  type IdempotencyRecord,
  type IdempotencyStore,
  MemoryIdempotencyStore,
  type StoredResponse,
} from "../lib/store/mod.ts";
import {
  type DnsResolver,
  parseUploadEvent,
  safeFetch,
  signWebhook,
  toBase64,
  verifyWebhook,
} from "../lib/webhook/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { uploadActionRunner } from "./_webhook_actions.ts";
import { problemResponse } from "./problem.ts";

/** Injected dependencies of {@linkcode webhookRoutes}; tests and other entries may set them. */
export interface WebhookRoutesOptions {
  /**
   * Idempotency records (`AppDeps.idempotency`). Required when webhooks are on with a store other
   * than memory; default: in memory, per app.
   */
  idempotency?: IdempotencyStore;
  /** Outbound fetch. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** DNS resolver for the address checks. Default: `Deno.resolveDns` where available. */
  resolveDns?: DnsResolver | null;
  /** Clock in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
}

/** Largest webhook body accepted (the payload is a small JSON document). */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** How long the first delivery of an id may run before a redelivery may run it again. */
export const WEBHOOK_LEASE_MS = 120_000;
const SCOPE = "webhook";

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
  const run = uploadActionRunner(s);
  const ttlMs = wh.idempotencyTtlSeconds * 1000;
  if (
    options.idempotency === undefined && wh.secrets.length > 0 && s.config.store.kind !== "memory"
  ) {
    throw new TypeError(
      `createApp: webhooks are on with the ${s.config.store.kind} store but no idempotency store ` +
        "was given (deps.idempotency); open one with openIdempotencyStore(config.store) from " +
        "lib/store/mod.ts",
    );
  }
  const idempotency = options.idempotency ?? new MemoryIdempotencyStore();
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
    const { id } = await verifyWebhook(c.req.raw.headers, body, {
      secrets: wh.secrets,
      toleranceSeconds: wh.toleranceSeconds,
      now: now(),
    });
    const ref = { scope: SCOPE, key: id };
    const fingerprint = toBase64(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body))),
    );
    const claim = await idempotency.claim(ref, fingerprint, WEBHOOK_LEASE_MS);
    if (!claim.claimed) return replay(claim.record, fingerprint, c.get("requestId"), c.req.path);

    const outcome = await (async () => {
      const event = parseUploadEvent(body);
      const image = await safeFetch(event.data.url, {
        ...fetchPolicy,
        maxBytes: s.config.maxBodyBytes,
        tooLargeCode: "image_too_large",
      });
      return { id, action: event.data.action, result: await run(event.data, image.bytes) };
    })().then((ok) => ({ ok }), (error: unknown) => ({ error }));

    if ("error" in outcome) {
      const res = problemResponse(outcome.error, c.get("requestId"), { instance: c.req.path });
      if (res.status >= 500) {
        await idempotency.release(ref, claim.token);
        throw outcome.error;
      }
      await idempotency.complete(ref, claim.token, await stored(res.clone()), ttlMs);
      return res;
    }
    const res = c.json(outcome.ok, 200);
    await idempotency.complete(ref, claim.token, await stored(res.clone()), ttlMs);
    if (wh.callbackUrl !== undefined) await callback(outcome.ok);
    return res;
  });

  async function callback(result: unknown): Promise<void> {
    const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const timestamp = Math.floor(now() / 1000);
    const body = JSON.stringify({
      type: "upload.processed",
      timestamp: new Date(timestamp * 1000).toISOString(),
      data: result,
    });
    await safeFetch(wh.callbackUrl!, {
      ...fetchPolicy,
      method: "POST",
      body,
      maxBytes: MAX_WEBHOOK_BODY_BYTES,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(wh.secrets[0], id, timestamp, body),
      },
    }).then(
      (res) => s.logger.info({ msg: "webhook callback sent", webhook_id: id, status: res.status }),
      (err: unknown) =>
        s.logger.error({
          msg: "webhook callback failed",
          webhook_id: id,
          code: err instanceof FaceError ? err.code : "internal_error",
          error: err instanceof Error ? err.message : String(err),
        }),
    );
  }
  return app;
}

async function stored(res: Response): Promise<StoredResponse> {
  return {
    status: res.status,
    content_type: res.headers.get("content-type") ?? "application/json",
    body: await res.text(),
  };
}

function replay(
  record: IdempotencyRecord,
  fingerprint: string,
  requestId: string,
  instance: string,
): Response {
  if (record.state === "pending") {
    return problemResponse(
      new FaceError("conflict", "Cannot accept webhook: this webhook-id is still being processed", {
        details: { retry_after: 5 },
      }),
      requestId,
      { instance, headers: { "retry-after": "5" } },
    );
  }
  if (record.fingerprint !== fingerprint) {
    throw new FaceError(
      "conflict",
      "Cannot accept webhook: this webhook-id was already used with a different body",
    );
  }
  const { status, content_type, body } = record.response;
  return new Response(body, {
    status,
    headers: { "content-type": content_type, "webhook-replayed": "true" },
  });
}
