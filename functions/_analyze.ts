/**
 * The pipeline calls of the routes, with the configured decoder limits applied.
 *
 * @module
 */
import {
  type Analysis,
  type AnalyzedFace,
  analyzeImage,
  type AnalyzeImageOptions,
  type FaceSelection,
  type Rotation,
} from "../lib/pipeline/mod.ts";
import { confidence } from "../lib/match/mod.ts";
import { FaceError, type FaceErrorCode } from "../lib/errors.ts";
import type { Services } from "./_context.ts";

/** A face that went through the embedder. */
export type EmbeddedFace = AnalyzedFace & {
  embedding: Float32Array;
  /** Clockwise turn the pipeline applied to find the face (0 for an upright photo). */
  rotation: Rotation;
};

/**
 * Runs the pipeline with the configured size limits.
 *
 * @throws {FaceError} As `analyzeImage` does.
 */
export function analyze(
  s: Services,
  bytes: Uint8Array,
  options: AnalyzeImageOptions,
): Promise<Analysis> {
  return analyzeImage(s.pipeline, bytes, {
    ...options,
    decode: {
      maxBytes: s.config.maxBodyBytes,
      maxPixels: s.config.maxPixels,
      maxDecodedBytes: s.config.maxDecodedBytes,
      ...options.decode,
    },
  });
}

/**
 * The one embedded face of a probe image, chosen by `face`.
 *
 * @param s The services.
 * @param bytes The encoded image.
 * @param face The face policy.
 * @param field When set, a FaceError names this request field (`details.field`, message prefix).
 * @throws {FaceError} `no_face`, `multiple_faces` (for `single`), and the decoder's errors.
 */
export async function embedProbe(
  s: Services,
  bytes: Uint8Array,
  face: FaceSelection,
  field?: string,
): Promise<EmbeddedFace> {
  const { faces, rotation } = await analyze(s, bytes, { select: face, requireFace: true }).catch(
    (err) => {
      if (field === undefined || !(err instanceof FaceError)) throw err;
      throw new FaceError(err.code, `Image ${field}: ${err.message}`, {
        cause: err.cause,
        details: { ...err.details, field },
      });
    },
  );
  return { ...faces[0], rotation } as EmbeddedFace;
}

/** `{rotation}` for a probe the pipeline had to turn, else nothing (upright answers are unchanged). */
export function rotationField(probe: { rotation: Rotation }): { rotation?: Rotation } {
  return probe.rotation ? { rotation: probe.rotation } : {};
}

/** Rounds a distance, similarity or confidence to 4 decimals for responses. */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** The `collection_not_found` error: a typo in a collection name must not look like a stranger. */
export function collectionNotFound(collection: string): FaceError {
  return new FaceError(
    "collection_not_found",
    `Cannot find collection ${collection}: nothing is enrolled in it`,
    { details: { collection } },
  );
}

/** Throws `collection_not_found` when `collection` holds no subject. */
export async function assertCollectionExists(s: Services, collection: string): Promise<void> {
  const page = await s.store.listSubjects({ model: s.model, collection }, { limit: 1 });
  if (page.subjects.length === 0) throw collectionNotFound(collection);
}

/** A box rounded to 0.1 px for responses. */
export function roundBox(box: AnalyzedFace["box"]): AnalyzedFace["box"] {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
}

/** Cosine similarity of unit vectors at L2 distance `d`: `1 − d²/2`. */
export function similarityOf(distance: number): number {
  return 1 - (distance * distance) / 2;
}

/**
 * The problems of a route that reads a probe image and embeds its face: reading the request,
 * decoding, finding the face, loading the models; `extra` (the route's own) go before the last.
 *
 * @param extra The route's own error codes, in documentation order.
 * @returns The codes for `OperationSpec.problems`.
 */
export function probeProblems(...extra: FaceErrorCode[]): FaceErrorCode[] {
  return [
    "invalid_request",
    "invalid_image",
    "image_too_large",
    "unsupported_media_type",
    "no_face",
    "multiple_faces",
    ...extra,
    "model_unavailable",
  ];
}

/** A 1:1 match decision as the routes answer it. */
export interface MatchDecision {
  /** Whether `distance <= threshold`. */
  match: boolean;
  /** L2 distance of the two embeddings. */
  distance: number;
  /** Cosine similarity at that distance. */
  similarity: number;
  /** The threshold the decision used. */
  threshold: number;
  /** Confidence of the decision (see `confidence`). */
  confidence: number;
}

/** The decision on `distance` at `threshold`, in the response order of compare and verify. */
export function matchDecision(distance: number, threshold: number): MatchDecision {
  return {
    match: distance <= threshold,
    distance: round4(distance),
    similarity: round4(similarityOf(distance)),
    threshold,
    confidence: round4(confidence(distance, threshold)),
  };
}
