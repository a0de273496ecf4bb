/**
 * Reading and deleting subjects: list subjects, get a subject (faces without embeddings), delete
 * a subject or one face, set or clear a subject's expiry (admin).
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import {
  deleteFace,
  deleteSubject,
  getSubject,
  listSubjects,
  readExpiryBody,
  setSubjectExpiry,
} from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { ref } from "./_schemas.ts";
import { PAGE_QUERY_PARAMS, pageQuery } from "./_page_query.ts";
import { IDEMPOTENCY_KEY_PARAM, idempotent } from "./_idempotency_key.ts";

const SUBJECT = "/v1/collections/:collection/subjects/:subject";

/** The subjects sub-app. */
export function subjectRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tag = "collections";

  s.api.route(app, {
    method: "get",
    path: "/v1/collections/:collection/subjects",
    operationId: "listSubjects",
    access: "read",
    summary: "List subjects",
    description: "Subjects ordered by name, one page at a time; pass `next_cursor` as `cursor`.",
    tag,
    query: PAGE_QUERY_PARAMS,
    status: 200,
    response: ref("SubjectPage"),
    problems: ["invalid_request"],
  }, async (c) => {
    return c.json(
      await listSubjects(s, { collection: c.req.param("collection")!, ...pageQuery(c) }),
    );
  });

  s.api.route(app, {
    method: "get",
    path: SUBJECT,
    operationId: "getSubject",
    access: "read",
    summary: "Get a subject",
    description: "The subject and its faces (ids, quality, metadata; never embeddings).",
    tag,
    status: 200,
    response: ref("Subject"),
    problems: ["invalid_request", "subject_not_found"],
  }, async (c) => {
    return c.json(await getSubject(s, params(c.req.param())));
  });

  s.api.route(
    app,
    {
      method: "delete",
      path: SUBJECT,
      operationId: "deleteSubject",
      access: "delete",
      summary: "Delete a subject",
      description: "Deletes the subject and all its faces.",
      tag,
      query: [IDEMPOTENCY_KEY_PARAM],
      status: 204,
      problems: ["invalid_request", "subject_not_found", "conflict"],
    },
    idempotent(s),
    async (c) => {
      await deleteSubject(s, { ...params(c.req.param()), caller: callerOf(s, c) });
      return c.body(null, 204);
    },
  );

  s.api.route(
    app,
    {
      method: "delete",
      path: `${SUBJECT}/faces/:face_id`,
      operationId: "deleteFace",
      access: "delete",
      summary: "Delete a face",
      description: "Deletes one face; the subject goes with its last face.",
      tag,
      query: [IDEMPOTENCY_KEY_PARAM],
      status: 204,
      problems: ["invalid_request", "face_not_found", "conflict"],
    },
    idempotent(s),
    async (c) => {
      await deleteFace(s, {
        ...params(c.req.param()),
        faceId: c.req.param("face_id") ?? "",
        caller: callerOf(s, c),
      });
      return c.body(null, 204);
    },
  );

  s.api.route(
    app,
    {
      method: "put",
      path: `${SUBJECT}/expiry`,
      operationId: "setSubjectExpiry",
      access: "admin",
      summary: "Set or clear a subject's expiry",
      description: "`{expires_at}`: an ISO 8601 time with a time zone, in the future and at most " +
        "36500 days ahead, after which none of the subject's faces match (verify answers as for " +
        "a subject not enrolled, identify never returns it) and a purge deletes them; `null` " +
        "clears it. Audited. Admin keys only.",
      tag,
      query: [IDEMPOTENCY_KEY_PARAM],
      body: { "application/json": ref("SubjectExpiryInput") },
      status: 200,
      response: ref("SubjectExpiry"),
      problems: ["invalid_request", "forbidden", "subject_not_found", "conflict"],
    },
    idempotent(s),
    async (c) => {
      const body = await c.req.json().catch((cause) => {
        throw new FaceError("invalid_request", "Cannot read expiry: the body is not JSON", {
          cause,
        });
      });
      return c.json(
        await setSubjectExpiry(s, {
          ...params(c.req.param()),
          expiresAt: readExpiryBody(body),
          caller: callerOf(s, c),
        }),
      );
    },
  );

  return app;
}

/** The collection and subject path parameters. */
function params(p: Record<string, string>): { collection: string; subject: string } {
  return { collection: p.collection ?? "", subject: p.subject ?? "" };
}
