/**
 * `POST /v1/collections/{collection}/subjects/{subject}/verify`: is this the claimed subject (1:1)?
 *
 * @module
 */
import { Hono } from "hono";
import { verifySubject } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { probeProblems } from "./_image_routes.ts";

const FACES = ["largest", "center", "primary", "single"] as const;

/** The verify sub-app. */
export function verifyRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/subjects/:subject/verify",
    operationId: "verifySubject",
    access: "match",
    limit: "image",
    summary: "Verify a claimed identity",
    description: "Scores the probe face against the subject's faces (configured match strategy) " +
      "and decides at the verify threshold, or `threshold` / `far`. When the collection's policy " +
      "requires liveness (or `liveness=true`), the answer carries `liveness` and a face judged " +
      "not live never matches.",
    tag: "match",
    query: [
      OPTION_PARAMS.face(FACES, "largest"),
      OPTION_PARAMS.threshold,
      OPTION_PARAMS.far,
      OPTION_PARAMS.liveness,
      OPTION_PARAMS.liveness_token,
    ],
    body: IMAGE_BODY,
    status: 200,
    response: ref("VerifyResponse"),
    problems: probeProblems(
      "subject_not_found",
      "collection_not_found",
      "policy_violation",
      "liveness_required",
      "invalid_liveness_token",
    ),
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      threshold: true,
      liveness: "match",
    });
    return c.json(
      await verifySubject(s, {
        collection: c.req.param("collection")!,
        subject: c.req.param("subject")!,
        image: images.image,
        ...options,
        caller: callerOf(s, c),
      }),
    );
  });
  return app;
}
