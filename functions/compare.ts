/**
 * `POST /v1/compare`: are the faces of two images the same person (1:1, nothing stored)?
 *
 * @module
 */
import { Hono } from "hono";
import { confidence, l2Distance } from "../lib/match/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { readImageInput } from "./_image_input.ts";
import { chooseThreshold, OPTION_PARAMS, readOptions } from "./_request_options.ts";
import { PAIR_BODY, ref } from "./_schemas.ts";
import { embedProbe, similarityOf } from "./_analyze.ts";

const FACES = ["largest", "center", "single"] as const;

/** The compare sub-app. */
export function compareRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/compare",
    operationId: "compare",
    summary: "Compare two faces",
    description: "Embeds the chosen face of images `a` and `b` and decides whether they match " +
      "at the verify threshold (or `threshold` / `far`).",
    tag: "match",
    query: [OPTION_PARAMS.face(FACES, "largest"), OPTION_PARAMS.threshold, OPTION_PARAMS.far],
    body: PAIR_BODY,
    status: 200,
    response: ref("CompareResponse"),
    problems: [
      "invalid_request",
      "invalid_image",
      "image_too_large",
      "unsupported_media_type",
      "no_face",
      "multiple_faces",
      "model_unavailable",
    ],
  }, async (c) => {
    const { images, fields } = await readImageInput(c.req, ["a", "b"]);
    const options = readOptions(c.req.query(), fields, { faces: FACES, threshold: true });
    const threshold = chooseThreshold(options, s.thresholds, "verify");
    const face = options.face ?? "largest";
    const a = await embedProbe(s, images.a, face, "a");
    const b = await embedProbe(s, images.b, face, "b");
    const distance = l2Distance(a.embedding, b.embedding);
    return c.json({
      match: distance <= threshold,
      distance,
      similarity: similarityOf(distance),
      threshold,
      confidence: confidence(distance, threshold),
      model: s.model,
    });
  });
  return app;
}
