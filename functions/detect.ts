/**
 * `POST /v1/detect`: faces, landmarks and quality of an image, without embeddings.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv, Services } from "./_context.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { roundBox } from "./_image_routes.ts";
import { detectImage } from "../lib/usecases/mod.ts";

const FACES = ["all", "largest", "center", "primary", "single"] as const;

/** The detect sub-app. */
export function detectRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/detect",
    operationId: "detect",
    access: "analyze",
    limit: "image",
    summary: "Detect faces",
    description: "Boxes, five landmarks and quality of the faces in an image. " +
      "No face is not an error here: `faces` is empty.",
    tag: "faces",
    query: [OPTION_PARAMS.face(FACES, "all")],
    body: IMAGE_BODY,
    status: 200,
    response: ref("DetectResponse"),
    problems: [
      "invalid_request",
      "invalid_image",
      "image_too_large",
      "unsupported_media_type",
      "multiple_faces",
      "model_unavailable",
    ],
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["image"], { faces: FACES });
    const result = await detectImage(s, images.image, { face: options.face });
    const r = (v: number) => Math.round(v * 10) / 10;
    return c.json({
      width: result.width,
      height: result.height,
      faces: result.faces.map((f) => ({
        box: roundBox(f.box),
        score: Math.round(f.score * 1e4) / 1e4,
        landmarks: f.landmarks.map(([x, y]) => [r(x), r(y)]),
        quality: f.quality,
      })),
      timings: Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, r(v)])),
    });
  });
  return app;
}
