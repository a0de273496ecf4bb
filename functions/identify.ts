/**
 * `POST /v1/collections/{collection}/identify`: who is this, if anyone enrolled (open-set 1:K)?
 * With `face=all`: who is each person in this photo? (The rules are in `identifyFace` and
 * `identifyFaces`.)
 *
 * @module
 */
import { Hono } from "hono";
import { identifyFace, identifyFaces, MAX_IDENTIFY_FACES } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { callerOf } from "./_caller.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { probeProblems, roundBox } from "./_image_routes.ts";

const FACES = ["largest", "center", "primary", "single", "all"] as const;

export { MAX_IDENTIFY_FACES };

/** The identify sub-app. */
export function identifyRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/identify",
    operationId: "identify",
    access: "match",
    limit: "image",
    summary: "Identify a face",
    description: "The `k` nearest subjects of the collection. `match` is the nearest one when it " +
      "is within the identify threshold (stricter than verify's), else null: the person is " +
      "unknown. A collection with nothing enrolled (a typo) is 404 `collection_not_found`. " +
      "With `face=all` every face " +
      `of the photo (up to ${MAX_IDENTIFY_FACES}, the largest; \`detected\` counts all) gets ` +
      "its own `{box, match, candidates}` in `faces`, at the same threshold; a photo without a " +
      "face gives `faces: []`. When the collection's policy requires liveness (or " +
      "`liveness=true`), each answer carries `liveness` and a face judged not live has `match: " +
      "null`.",
    tag: "match",
    query: [
      OPTION_PARAMS.face(FACES, "largest"),
      OPTION_PARAMS.k,
      OPTION_PARAMS.threshold,
      OPTION_PARAMS.far,
      OPTION_PARAMS.liveness,
      OPTION_PARAMS.liveness_token,
    ],
    body: IMAGE_BODY,
    status: 200,
    response: { oneOf: [ref("IdentifyResponse"), ref("IdentifyAllResponse")] },
    problems: probeProblems(
      "collection_not_found",
      "model_mismatch",
      "policy_violation",
      "liveness_required",
      "invalid_liveness_token",
    ),
  }, async (c) => {
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      threshold: true,
      k: true,
      liveness: "match",
    });
    const input = {
      collection: c.req.param("collection")!,
      image: images.image,
      ...options,
      caller: callerOf(s, c),
    };
    if (options.face !== "all") return c.json(await identifyFace(s, input));
    const all = await identifyFaces(s, input);
    return c.json({ ...all, faces: all.faces.map((f) => ({ ...f, box: roundBox(f.box) })) });
  });
  return app;
}
