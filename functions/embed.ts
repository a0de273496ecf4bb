/**
 * `POST /v1/embed`: the embedding(s) of the face(s) of an image.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv, Services } from "./_context.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { probeProblems, roundBox } from "./_image_routes.ts";
import { embedImage } from "../lib/usecases/mod.ts";

const FACES = ["largest", "center", "primary", "single", "all"] as const;

/** The embed sub-app. */
export function embedRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/embed",
    operationId: "embed",
    access: "analyze",
    limit: "image",
    summary: "Embed faces",
    description: "Unit-length embeddings of the chosen face (or every face with `face=all`). " +
      "Embeddings of different models are not comparable: keep `model` with them.",
    tag: "faces",
    query: [OPTION_PARAMS.face(FACES, "largest")],
    body: IMAGE_BODY,
    status: 200,
    response: ref("EmbedResponse"),
    problems: probeProblems(),
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["image"], { faces: FACES });
    const result = await embedImage(s, images.image, { face: options.face });
    return c.json({
      model: result.model,
      dim: result.dim,
      faces: result.faces.map((f) => ({
        box: roundBox(f.box),
        embedding: Array.from(f.embedding),
      })),
      ...(result.rotation === undefined ? {} : { rotation: result.rotation }),
    });
  });
  return app;
}
