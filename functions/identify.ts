/**
 * `POST /v1/collections/{collection}/identify`: who is this, if anyone enrolled (open-set 1:K)?
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { confidence, type GalleryCandidate, searchGallery } from "../lib/match/mod.ts";
import { validateName } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { chooseThreshold, OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { embedProbe, probeProblems } from "./_analyze.ts";

const FACES = ["largest", "center", "primary", "single"] as const;

/**
 * The `k` nearest subjects of a collection. With the `nearest` strategy the gallery is searched
 * through the per-isolate int8 index (cached until the store's gallery version changes: a warm
 * request costs one version read, not a gallery read); `mean` / `top2` scan the float32 gallery.
 */
async function searchCollection(
  s: Services,
  collection: string,
  embedding: Float32Array,
  k: number,
): Promise<GalleryCandidate[]> {
  const ref = { model: s.model, collection };
  const mismatch = (dim: number) =>
    new FaceError(
      "model_mismatch",
      `Cannot identify: the gallery holds ${dim}-d embeddings, the model makes ${embedding.length}-d`,
    );
  if (s.config.matchStrategy === "nearest") {
    const version = s.store.galleryVersion ? await s.store.galleryVersion(ref) : null;
    const index = await s.galleries.get(
      `${ref.model}|${collection}`,
      version,
      () => s.store.gallery(ref),
    );
    if (index.size === 0) return [];
    if (index.dim !== embedding.length) throw mismatch(index.dim);
    return index.search(embedding, k);
  }
  const gallery = await s.store.gallery(ref);
  if (gallery.faceIds.length === 0) return [];
  if (gallery.dim !== embedding.length) throw mismatch(gallery.dim);
  return searchGallery(gallery, embedding, { k, strategy: s.config.matchStrategy });
}

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
    const found = await searchCollection(s, collection, probe.embedding, options.k ?? 5);
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
