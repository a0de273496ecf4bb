/**
 * `POST /v1/liveness`: passive liveness of one photo from a trusted camera (the rules are in
 * `checkLiveness`).
 *
 * @module
 */
import { Hono } from "hono";
import { checkLiveness } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { probeProblems, roundBox } from "./_image_routes.ts";

const FACES = ["largest", "center", "primary", "single"] as const;

/** The passive liveness sub-app. */
export function livenessRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/liveness",
    operationId: "checkLiveness",
    access: "analyze",
    limit: "image",
    summary: "Judge whether a face is live (passive)",
    description: "Scores the chosen face with the passive presentation-attack model: `live` is " +
      "`score >= threshold` (higher = bona fide). Meant for trusted cameras (a kiosk, a door): a " +
      "client that can upload any photo should run a challenge instead. Send the whole camera " +
      "frame: a face that fills it leaves the model no surroundings to judge and gets a " +
      "non-response, 422 `insufficient_context`, never a verdict.",
    tag: "liveness",
    query: [
      OPTION_PARAMS.face(FACES, "largest"),
      {
        name: "threshold",
        in: "query",
        description: "A stricter bona fide score threshold than the calibrated one, in (0, 1).",
        schema: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
      },
    ],
    body: IMAGE_BODY,
    status: 200,
    response: ref("LivenessResponse"),
    problems: probeProblems("insufficient_context"),
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      liveness: "score",
    });
    const answer = await checkLiveness(s, {
      image: images.image,
      face: options.face,
      threshold: options.liveness_threshold,
    });
    return c.json({ ...answer, box: roundBox(answer.box) });
  });
  return app;
}
