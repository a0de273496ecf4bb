/**
 * `POST /v1/compare`: are the faces of two images the same person (1:1, nothing stored)?
 *
 * @module
 */
import { Hono } from "hono";
import { compareImages } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { PAIR_BODY, ref } from "./_schemas.ts";
import { probeProblems } from "./_image_routes.ts";

const FACES = ["largest", "center", "primary", "single"] as const;

/** The compare sub-app. */
export function compareRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/compare",
    operationId: "compare",
    access: "match",
    limit: "image",
    summary: "Compare two faces",
    description: "Embeds the chosen face of images `a` and `b` and decides whether they match " +
      "at the verify threshold (or `threshold` / `far`).",
    tag: "match",
    query: [OPTION_PARAMS.face(FACES, "largest"), OPTION_PARAMS.threshold, OPTION_PARAMS.far],
    body: PAIR_BODY,
    status: 200,
    response: ref("CompareResponse"),
    problems: probeProblems(),
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["a", "b"], {
      faces: FACES,
      threshold: true,
    });
    return c.json(
      await compareImages(s, images.a, images.b, { ...options, caller: callerOf(s, c) }),
    );
  });
  return app;
}
