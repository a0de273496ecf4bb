/**
 * `POST /v1/preview`: the image as a small upright PNG, for clients that cannot show its format
 * (the web app shows a HEIC this way in Chromium).
 *
 * @module
 */
import { Hono } from "hono";
import type { AppEnv, Services } from "./_context.ts";
import { readImageInput } from "./_image_input.ts";
import { IMAGE_BODY } from "./_schemas.ts";
import { previewImage } from "../lib/usecases/mod.ts";

/** The preview sub-app. */
export function previewRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/preview",
    operationId: "previewImage",
    access: "analyze",
    limit: "image",
    summary: "Preview an image",
    description: "The image decoded (any accepted format: JPEG, PNG, WebP, HEIC, AVIF, GIF), " +
      "turned upright and reduced to at most 1280 px on its longer side, as a PNG. " +
      "`X-Image-Width` and `X-Image-Height` give its full upright size: the pixels detect " +
      "reports boxes in.",
    tag: "faces",
    body: IMAGE_BODY,
    status: 200,
    response: { type: "string", format: "binary" },
    responseType: "image/png",
    problems: ["invalid_request", "invalid_image", "image_too_large", "unsupported_media_type"],
  }, async (c) => {
    const { images } = await readImageInput(c.req, ["image"]);
    const preview = await previewImage(s, images.image);
    return c.body(preview.png as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "image/png",
      "x-image-width": String(preview.width),
      "x-image-height": String(preview.height),
      "cache-control": "no-store",
    });
  });
  return app;
}
