/**
 * `POST /v1/collections/{collection}/subjects/{subject}/faces`: enrolls one face (the rules, such
 * as the quality gate that no client flag can bypass, are in `enrollFace`).
 *
 * @module
 */
import { Hono } from "hono";
import { enrollFace } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { probeProblems } from "./_image_routes.ts";
import { IDEMPOTENCY_KEY_PARAM, idempotent } from "./_idempotency_key.ts";

const FACES = ["single", "largest", "center", "primary"] as const;

/** The enrolment sub-app. */
export function enrollRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(
    app,
    {
      method: "post",
      path: "/v1/collections/:collection/subjects/:subject/faces",
      operationId: "enrollFace",
      access: "enroll",
      limit: "image",
      summary: "Enroll a face",
      description: "Adds the face of an image to a subject (created on first use). Refuses faces " +
        "failing the quality gate (`low_quality`, with `reasons`) and images with several faces " +
        "unless `face=largest|center|primary`. Optional `metadata` (a JSON object, at most 8 KiB) in " +
        "JSON or multipart bodies; optional `expires_at` sets the subject's expiry. When the " +
        "collection's policy requires liveness (or `liveness=true`) a face the passive model " +
        "does not judge live is refused (`not_live`, `insufficient_context`).",
      tag: "collections",
      query: [
        OPTION_PARAMS.face(FACES, "single"),
        OPTION_PARAMS.expires_at,
        OPTION_PARAMS.liveness,
        IDEMPOTENCY_KEY_PARAM,
      ],
      body: IMAGE_BODY,
      status: 201,
      response: ref("EnrollResponse"),
      problems: probeProblems(
        "low_quality",
        "not_live",
        "insufficient_context",
        "policy_violation",
        "conflict",
      ),
    },
    idempotent(s),
    async (c) => {
      const { images, fields, options } = await readImageRequest(c.req, ["image"], {
        faces: FACES,
        expiresAt: true,
        liveness: "enroll",
      });
      const enrolled = await enrollFace(s, {
        collection: c.req.param("collection")!,
        subject: c.req.param("subject")!,
        image: images.image,
        face: options.face,
        liveness: options.liveness,
        metadata: fields.metadata,
        ...(options.expires_at === undefined ? {} : { expiresAt: options.expires_at }),
        idempotencyKey: c.req.header("idempotency-key"),
        caller: callerOf(s, c),
      });
      c.header(
        "Location",
        `/v1/collections/${encodeURIComponent(c.req.param("collection")!)}/subjects/${
          encodeURIComponent(enrolled.subject)
        }`,
      );
      return c.json(enrolled, 201);
    },
  );
  return app;
}
