/**
 * Reading and deleting subjects: list subjects, get a subject (faces without embeddings), delete
 * a subject or one face.
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { validateName } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { ref } from "./_schemas.ts";

const SUBJECT = "/v1/collections/:collection/subjects/:subject";

/** The subjects sub-app. */
export function subjectRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const collectionRef = (param: string | undefined) => ({
    model: s.model,
    collection: validateName("collection", param ?? ""),
  });
  const tag = "collections";

  s.api.route(app, {
    method: "get",
    path: "/v1/collections/:collection/subjects",
    operationId: "listSubjects",
    summary: "List subjects",
    description: "Subjects ordered by name, one page at a time; pass `next_cursor` as `cursor`.",
    tag,
    query: [
      {
        name: "limit",
        in: "query",
        description: "Page size 1..1000 (default 100).",
        schema: { type: "integer", minimum: 1, maximum: 1000 },
      },
      {
        name: "cursor",
        in: "query",
        description: "`next_cursor` of the previous page.",
        schema: { type: "string" },
      },
    ],
    status: 200,
    response: ref("SubjectPage"),
    problems: ["invalid_request"],
  }, async (c) => {
    const where = collectionRef(c.req.param("collection"));
    const limitRaw = c.req.query("limit");
    const limit = limitRaw === undefined
      ? undefined
      : /^\d+$/.test(limitRaw)
      ? Number(limitRaw)
      : NaN;
    if (limit !== undefined && !(limit >= 1 && limit <= 1000)) {
      throw new FaceError("invalid_request", "Cannot list subjects: limit must be in 1..1000", {
        details: { field: "limit" },
      });
    }
    return c.json(await s.store.listSubjects(where, { limit, cursor: c.req.query("cursor") }));
  });

  s.api.route(app, {
    method: "get",
    path: SUBJECT,
    operationId: "getSubject",
    summary: "Get a subject",
    description: "The subject and its faces (ids, quality, metadata; never embeddings).",
    tag,
    status: 200,
    response: ref("Subject"),
    problems: ["invalid_request", "subject_not_found"],
  }, async (c) => {
    const subject = validateName("subject", c.req.param("subject")!);
    const record = await s.store.getSubject(collectionRef(c.req.param("collection")), subject);
    if (!record) throw notFound(subject);
    const { faces, ...summary } = record;
    return c.json({
      ...summary,
      faces: faces.map((f) => ({
        face_id: f.id,
        quality: f.quality,
        created_at: f.created_at,
        ...(f.metadata === undefined ? {} : { metadata: f.metadata }),
      })),
    });
  });

  s.api.route(app, {
    method: "delete",
    path: SUBJECT,
    operationId: "deleteSubject",
    summary: "Delete a subject",
    description: "Deletes the subject and all its faces.",
    tag,
    status: 204,
    problems: ["invalid_request", "subject_not_found"],
  }, async (c) => {
    const subject = validateName("subject", c.req.param("subject")!);
    const deleted = await s.store.deleteSubject(collectionRef(c.req.param("collection")), subject);
    if (!deleted) throw notFound(subject);
    return c.body(null, 204);
  });

  s.api.route(app, {
    method: "delete",
    path: `${SUBJECT}/faces/:face_id`,
    operationId: "deleteFace",
    summary: "Delete a face",
    description: "Deletes one face; the subject goes with its last face.",
    tag,
    status: 204,
    problems: ["invalid_request", "face_not_found"],
  }, async (c) => {
    const subject = validateName("subject", c.req.param("subject")!);
    const faceId = validateName("face id", c.req.param("face_id")!);
    const where = collectionRef(c.req.param("collection"));
    if (!(await s.store.deleteFace(where, subject, faceId))) {
      throw new FaceError("face_not_found", `Cannot find face ${faceId} of subject ${subject}`, {
        details: { subject, face_id: faceId },
      });
    }
    return c.body(null, 204);
  });

  return app;
}

function notFound(subject: string): FaceError {
  return new FaceError("subject_not_found", `Cannot find subject ${subject}`, {
    details: { subject },
  });
}
