/**
 * `POST /v1/collections/{collection}/identify`: who is this, if anyone enrolled (open-set 1:K)?
 * With `face=all`: who is each person in this photo? Every face (up to
 * {@linkcode MAX_IDENTIFY_FACES}, the largest) is searched with one gallery scan each, at the
 * same threshold.
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
import {
  analyze,
  collectionNotFound,
  type EmbeddedFace,
  embedProbe,
  probeProblems,
  rotationField,
  round4,
  roundBox,
} from "./_analyze.ts";

const FACES = ["largest", "center", "primary", "single", "all"] as const;

/** Most faces `face=all` identifies in one photo (the largest ones); `detected` counts all. */
export const MAX_IDENTIFY_FACES = 20;

/** Searches one collection: the `k` nearest subjects of an embedding. */
type GallerySearch = (embedding: Float32Array, k: number) => GalleryCandidate[];

/**
 * Opens a collection's gallery once for any number of searches. With the `nearest` strategy the
 * gallery is searched through the per-isolate int8 index (cached until the store's gallery
 * version changes: a warm request costs one version read, not a gallery read); `mean` / `top2`
 * scan the float32 gallery.
 */
async function openGallery(s: Services, collection: string): Promise<GallerySearch> {
  const ref = { model: s.model, collection };
  const mismatch = (dim: number, embedding: Float32Array) =>
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
    return (embedding, k) => {
      if (index.size === 0) return [];
      if (index.dim !== embedding.length) throw mismatch(index.dim, embedding);
      return index.search(embedding, k);
    };
  }
  const gallery = await s.store.gallery(ref);
  const strategy = s.config.matchStrategy;
  return (embedding, k) => {
    if (gallery.faceIds.length === 0) return [];
    if (gallery.dim !== embedding.length) throw mismatch(gallery.dim, embedding);
    return searchGallery(gallery, embedding, { k, strategy });
  };
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
      "unknown. A collection with nothing enrolled (a typo) is 404 `collection_not_found`. " +
      "With `face=all` every face " +
      `of the photo (up to ${MAX_IDENTIFY_FACES}, the largest; \`detected\` counts all) gets ` +
      "its own `{box, match, candidates}` in `faces`, at the same threshold; a photo without a " +
      "face gives `faces: []`.",
    tag: "match",
    query: [
      OPTION_PARAMS.face(FACES, "largest"),
      OPTION_PARAMS.k,
      OPTION_PARAMS.threshold,
      OPTION_PARAMS.far,
    ],
    body: IMAGE_BODY,
    status: 200,
    response: { oneOf: [ref("IdentifyResponse"), ref("IdentifyAllResponse")] },
    problems: probeProblems("collection_not_found", "model_mismatch"),
  }, async (c) => {
    const collection = validateName("collection", c.req.param("collection")!);
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      threshold: true,
      k: true,
    });
    const threshold = chooseThreshold(options, s.thresholds, "identify");
    const k = options.k ?? 5;
    const answer = (search: GallerySearch, face: EmbeddedFace) => {
      const found = search(face.embedding, k);
      if (found.length === 0) throw collectionNotFound(collection);
      const matched = found.length > 0 && found[0].distance <= threshold;
      const candidates = found.map((cand) => ({
        subject: cand.subject,
        distance: round4(cand.distance),
        similarity: round4(cand.similarity),
        confidence: round4(confidence(cand.distance, threshold)),
        face_id: cand.face_id,
      }));
      return { match: matched ? candidates[0] : null, candidates };
    };
    if (options.face === "all") {
      const found = await analyze(s, images.image, { select: "all", maxFaces: MAX_IDENTIFY_FACES });
      const search = await openGallery(s, collection);
      return c.json({
        faces: found.faces.map((face) => ({
          box: roundBox(face.box),
          ...answer(search, face as EmbeddedFace),
        })),
        detected: found.detected,
        ...rotationField(found),
        threshold,
        model: s.model,
      });
    }
    const probe = await embedProbe(s, images.image, options.face ?? "largest");
    const search = await openGallery(s, collection);
    return c.json({ ...answer(search, probe), ...rotationField(probe), threshold, model: s.model });
  });
  return app;
}
