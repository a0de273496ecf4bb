/**
 * The probe image of a use case: the pipeline run with the configured decoder limits, and the one
 * embedded face of a probe.
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
