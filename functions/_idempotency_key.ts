/**
 * `Idempotency-Key` on the write routes (enroll, deletes, policy): a retry with the same key
 * returns the first answer byte for byte (with `idempotent-replayed: true`) and never writes
 * twice; the same key with another request is 409 `conflict`; a duplicate while the first runs
 * is 409 with `Retry-After`. The records are the webhook's (`runIdempotent`), scoped to the API key.
 *
 * A write that answered 5xx is not remembered, so its retry runs again; an enroll retried after a
 * 5xx is still written once, because its face id is derived from the key (`enrollFaceId`).
 *
 * A remembered answer that names a subject or face (an enroll's `{subject, face_id}`, a problem
 * about the subject) is erased when that subject, face or collection is deleted; a retry then
 * gets 409 `conflict` (`reason: "erased"`) instead of a replay, and nothing is written again.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { FaceError } from "../lib/errors.ts";
import { findMentions } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import type { ParameterSpec } from "./_openapi.ts";
import { runIdempotent } from "./_idempotent_request.ts";
import { sha256Hex } from "../lib/encoding/mod.ts";

/** How long a first write may run before a retry may run it again. */
export const WRITE_LEASE_MS = 60_000;

const KEY_RE = /^[\x21-\x7e]{1,200}$/;

/** The OpenAPI parameter of the header. */
export const IDEMPOTENCY_KEY_PARAM: ParameterSpec = {
  name: "Idempotency-Key",
  in: "header",
  description:
    "1..200 visible ASCII characters (e.g. a UUID), unique per intended write. A retry " +
    "with the same key returns the first answer (`idempotent-replayed: true`) and never writes " +
    "twice; the same key with a different request is 409 `conflict`. Kept " +
    "`FACEGATE_WEBHOOK_IDEMPOTENCY_TTL_SECONDS` (24 h), unless the subject, face or collection " +
    'the answer names is deleted: then a retry is 409 `conflict` with `reason: "erased"` and ' +
    "nothing is written again (use a new key to enroll again).",
  schema: { type: "string", minLength: 1, maxLength: 200 },
};

/** Method, path, query, media type and body, with a multipart boundary made neutral. */
async function fingerprint(c: Context<AppEnv>): Promise<string> {
  const raw = c.req.raw;
  const type = raw.headers.get("content-type") ?? "";
  const bytes = raw.body ? new Uint8Array(await raw.clone().arrayBuffer()) : new Uint8Array();
  let body = new TextDecoder("latin1").decode(bytes);
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary) body = body.replaceAll(boundary, "");
  const url = new URL(raw.url);
  return await sha256Hex(
    `${raw.method} ${url.pathname}${url.search}\n${type.split(";")[0].trim()}\n${body}`,
  );
}

/**
 * The middleware of a write route: without the header the route runs as is; with it, at most
 * once per (API key, Idempotency-Key). An enroll derives its face id from the same key and API
 * key id (`enrollFaceId` in `lib/usecases`), so a write retried after a 5xx still writes once.
 *
 * @throws {FaceError} `invalid_request` for a malformed key.
 */
export function idempotent(s: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("idempotency-key");
    if (header === undefined) return await next();
    if (!KEY_RE.test(header)) {
      throw new FaceError(
        "invalid_request",
        "Cannot read Idempotency-Key: it must be 1..200 visible ASCII characters",
        { details: { field: "Idempotency-Key" } },
      );
    }
    const owner = c.get("keyId") ?? "-";
    // The route's errors reach here as their problem answer (the app's onError has run), so a
    // 5xx releases the lease and 4xx answers are remembered.
    c.res = await runIdempotent({
      store: s.idempotency,
      scope: "write",
      key: `${owner}:${header}`,
      keyName: "Idempotency-Key",
      action: "accept request",
      fingerprint: await fingerprint(c),
      leaseMs: WRITE_LEASE_MS,
      ttlMs: s.config.webhook.idempotencyTtlSeconds * 1000,
      replayHeader: "idempotent-replayed",
      requestId: c.get("requestId"),
      instance: c.req.path,
      mentions: (res) =>
        findMentions(res.body, {
          collection: c.req.param("collection"),
          subject: c.req.param("subject"),
        }),
    }, async () => {
      await next();
      return c.res;
    });
  };
}
