/**
 * `POST /v1/collections/{collection}/identify`: who is this, if anyone enrolled (open-set 1:K)?
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { confidence, searchGallery } from "../lib/match/mod.ts";
import { validateName } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { chooseThreshold, OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { embedProbe, probeProblems } from "./_analyze.ts";

const FACES = ["largest", "center", "single"] as const;

/** The identify sub-app. */
export function identifyRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/identify",
    operationId: "identify",
    summary: "Identify a face",
    description: "The `k` nearest subjects of the collection. `match` is the nearest one when it " +
      "is within the identify threshold (stricter than verify's), else null: the person is " +
      "unknown. An empty or unknown collection gives no candidates.",
    tag: "match",
    query: [
      OPTION_PARAMS.face(FACES, "largest"),
      OPTION_PARAMS.k,
      OPTION_PARAMS.threshold,
      OPTION_PARAMS.far,
    ],
    body: IMAGE_BODY,
    status: 200,
    response: ref("IdentifyResponse"),
    problems: probeProblems("model_mismatch"),
  }, async (c) => {
    const collection = validateName("collection", c.req.param("collection")!);
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      threshold: true,
      k: true,
    });
    const threshold = chooseThreshold(options, s.thresholds, "identify");
    const probe = await embedProbe(s, images.image, options.face ?? "largest");
    const gallery = await s.store.gallery({ model: s.model, collection });
    if (gallery.faceIds.length > 0 && gallery.dim !== probe.embedding.length) {
      throw new FaceError(
        "model_mismatch",
        `Cannot identify: the gallery holds ${gallery.dim}-d embeddings, the model makes ${probe.embedding.length}-d`,
      );
    }
    const found = gallery.faceIds.length === 0 ? [] : searchGallery(gallery, probe.embedding, {
      k: options.k ?? 5,
      strategy: s.config.matchStrategy,
    });
    const candidates = found.map((cand) => ({
      subject: cand.subject,
      distance: cand.distance,
      similarity: cand.similarity,
      confidence: confidence(cand.distance, threshold),
      face_id: cand.face_id,
    }));
    const best = candidates[0];
    return c.json({
      match: best && best.distance <= threshold ? best : null,
      candidates,
      threshold,
      model: s.model,
    });
  });
  return app;
}
