/**
 * `GET` / `PUT /v1/collections/{collection}/policy`: the collection's match policy, and
 * `GET /v1/collections/{collection}/audit`: its audit trail, and
 * `POST /v1/collections/{collection}/purge`: a purge of its expired faces now (admin keys only; the rules are in
 * `lib/usecases/match_policy.ts` and `lib/usecases/subjects.ts`).
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import {
  convertCollection,
  getMatchPolicy,
  listAudit,
  purgeExpired,
  setMatchPolicy,
} from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { ref } from "./_schemas.ts";
import { PAGE_QUERY_PARAMS, pageQuery } from "./_page_query.ts";
import { IDEMPOTENCY_KEY_PARAM, idempotent } from "./_idempotency_key.ts";

const PATH = "/v1/collections/:collection/policy";

/** The match policy sub-app. */
export function policyRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "get",
    path: PATH,
    operationId: "getMatchPolicy",
    access: "admin",
    summary: "Get a collection's match policy",
    description: "The thresholds in force for verify and identify in this collection, each from " +
      "the collection's policy or the model's calibrated default. Admin keys only.",
    tag: "collections",
    status: 200,
    response: ref("MatchPolicy"),
    problems: ["invalid_request", "forbidden"],
  }, async (c) => c.json(await getMatchPolicy(s, { collection: c.req.param("collection")! })));

  s.api.route(
    app,
    {
      method: "put",
      path: PATH,
      operationId: "setMatchPolicy",
      access: "admin",
      summary: "Set a collection's match policy",
      description:
        "Replaces the policy: `{verify?, identify?, retention?}`, each decision `{threshold}` " +
        "(L2, (0, 2]) or `{far}` (a calibrated preset), an absent one the calibrated default; " +
        "`retention: {days}` (1..3650): faces enrolled longer ago never match and are purged " +
        "(absent: kept until deleted). Requests may " +
        "then only be stricter: a looser `threshold` / `far` is 403 `policy_violation` unless the " +
        "key is admin (audited). Admin keys only.",
      tag: "collections",
      query: [IDEMPOTENCY_KEY_PARAM],
      body: { "application/json": ref("MatchPolicyInput") },
      status: 200,
      response: ref("MatchPolicy"),
      problems: ["invalid_request", "forbidden", "conflict"],
    },
    idempotent(s),
    async (c) => {
      const policy = await c.req.json().catch((cause) => {
        throw new FaceError("invalid_request", "Cannot read policy: the body is not JSON", {
          cause,
        });
      });
      return c.json(
        await setMatchPolicy(s, {
          collection: c.req.param("collection")!,
          policy,
          caller: callerOf(s, c),
        }),
      );
    },
  );
  s.api.route(app, {
    method: "get",
    path: "/v1/collections/:collection/audit",
    operationId: "listAudit",
    access: "admin",
    summary: "List a collection's audit events",
    description: "Enrolls, deletes, policy changes, loosened decisions, subject expiry changes " +
      "and purges (counts only) of the collection, " +
      "newest first, one page at a time (pass `next_cursor` as `cursor`); each event has its " +
      "time, action, key id, request id and subject / face id, never an embedding or an image. " +
      "Kept `FACEGATE_AUDIT_TTL_DAYS` (90). Admin keys only.",
    tag: "collections",
    query: PAGE_QUERY_PARAMS,
    status: 200,
    response: ref("AuditPage"),
    problems: ["invalid_request", "forbidden"],
  }, async (c) => {
    return c.json(
      await listAudit(s, { collection: c.req.param("collection")!, ...pageQuery(c) }),
    );
  });
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/purge",
    operationId: "purgeExpired",
    access: "admin",
    summary: "Purge a collection's expired faces now",
    description: "Deletes the faces past the collection's retention period and those of expired " +
      "subjects (a subject goes with its last face), with their remembered idempotent answers, " +
      "as the hourly cron and the background purge do; answers the counts and audits them " +
      "(`purge_expired`, counts only) when something was deleted. Safe beside enrolls and " +
      "another purge. Admin keys only.",
    tag: "collections",
    status: 200,
    response: ref("PurgeReport"),
    problems: ["invalid_request", "forbidden"],
  }, async (c) =>
    c.json(
      await purgeExpired(s, { collection: c.req.param("collection")!, caller: callerOf(s, c) }),
    ));
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/convert",
    operationId: "convertCollection",
    access: "admin",
    summary: "Move a collection to another embedder recipe in place",
    description: 'Body `{"to": recipe id}`. Maps every stored template to the other recipe ' +
      "(v2's 512-d → v3's 128-d through v3's projection; images are never stored, so no other " +
      "move is possible), keeping face ids, metadata, creation times and expiries, sealing them " +
      "again when encryption is on, then deletes the old templates. The policy and audit trail " +
      "stay. Safe to rerun after a failure. Audited (`collection_converted`). Admin keys only.",
    tag: "collections",
    body: { "application/json": ref("ConvertCollectionInput") },
    status: 200,
    response: ref("CollectionConversion"),
    problems: ["invalid_request", "forbidden", "collection_not_found", "conflict"],
  }, async (c) => {
    const body = await c.req.json().catch((cause) => {
      throw new FaceError("invalid_request", "Cannot read the conversion: the body is not JSON", {
        cause,
      });
    });
    if (body === null || typeof body !== "object" || typeof body.to !== "string") {
      throw new FaceError("invalid_request", 'Cannot convert: the body must be {"to": recipe id}', {
        details: { field: "to" },
      });
    }
    return c.json(
      await convertCollection(s, {
        collection: c.req.param("collection")!,
        to: body.to,
        caller: callerOf(s, c),
      }),
    );
  });
  return app;
}
