/**
 * Private helpers of the use cases: the pipeline with the configured decoder limits, the one
 * embedded face of a probe image, and the 1:1 decision.
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
} from "../pipeline/mod.ts";
import { confidence } from "../match/mod.ts";
import { FaceError } from "../errors.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/** A face that went through the embedder. */
export type EmbeddedFace = AnalyzedFace & {
  embedding: Float32Array;
  /** Clockwise turn the pipeline applied to find the face (0 for an upright photo). */
  rotation: Rotation;
};

/** Runs the pipeline with the configured size limits; throws as `analyzeImage` does. */
export function analyze(
  deps: UseCaseDeps,
  bytes: Uint8Array,
  options: AnalyzeImageOptions,
): Promise<Analysis> {
  return analyzeImage(deps.pipeline, bytes, {
    ...options,
    decode: {
      maxBytes: deps.limits.maxBytes,
      maxPixels: deps.limits.maxPixels,
      maxDecodedBytes: deps.limits.maxDecodedBytes,
      ...options.decode,
    },
  });
}

/**
 * The one embedded face of a probe image, chosen by `face`; with `field`, a FaceError names that
 * request field (`details.field`, message prefix).
 *
 * With `options.liveness`, the face also carries the passive liveness model's judgement.
 *
 * @throws {FaceError} `no_face`, `multiple_faces` (for `single`), and the decoder's errors.
 */
export async function embedProbe(
  deps: UseCaseDeps,
  bytes: Uint8Array,
  face: FaceSelection,
  field?: string,
  options: { liveness?: boolean } = {},
): Promise<EmbeddedFace> {
  const { faces, rotation } = await analyze(deps, bytes, {
    select: face,
    requireFace: true,
    liveness: options.liveness,
  }).catch(
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

/** A box rounded to 0.1 px for answers. */
export function roundBox(box: { x: number; y: number; width: number; height: number }) {
  const r = (v: number) => Math.round(v * 10) / 10;
  return { x: r(box.x), y: r(box.y), width: r(box.width), height: r(box.height) };
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

/** A 1:1 match decision, in the answer order of compare and verify. */
export interface MatchDecision {
  /** Whether `distance <= threshold`. */
  match: boolean;
  /** L2 distance of the two embeddings. */
  distance: number;
  /** Cosine similarity at that distance (`1 − d²/2`). */
  similarity: number;
  /** The threshold the decision used. */
  threshold: number;
  /** Confidence of the decision (see `confidence`). */
  confidence: number;
}

/** The decision on `distance` at `threshold`. */
export function matchDecision(distance: number, threshold: number): MatchDecision {
  return {
    match: distance <= threshold,
    distance: round4(distance),
    similarity: round4(1 - (distance * distance) / 2),
    threshold,
    confidence: round4(confidence(distance, threshold)),
  };
}
