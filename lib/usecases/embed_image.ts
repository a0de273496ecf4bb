/**
 * Embed: the unit-length embedding(s) of the face(s) of an image.
 *
 * @module
 */
import type { AnalyzedFace, FaceSelection, Rotation } from "../pipeline/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { analyze, rotationField } from "./_analyze_probe.ts";

/** Options for {@linkcode embedImage}. */
export interface EmbedImageOptions {
  /** Which face(s): `largest`, `center`, `primary`, `single`, `all`. Default: `"largest"`. */
  face?: FaceSelection;
}

/** The embeddings of an image, tagged with the model that made them. */
export interface EmbeddedImage {
  /** The embedder id: embeddings of different models are not comparable. */
  model: string;
  /** Embedding dimension. */
  dim: number;
  /** The chosen faces with their embeddings. */
  faces: { box: AnalyzedFace["box"]; embedding: Float32Array }[];
  /** The clockwise turn applied to find the faces, when the photo had to be turned. */
  rotation?: Rotation;
}

/**
 * Embeds the chosen face (or every face with `face: "all"`).
 *
 * @throws {FaceError} `no_face`, `multiple_faces` (for `single`), the decoder's errors,
 *   `model_unavailable`.
 */
export async function embedImage(
  deps: UseCaseDeps,
  image: Uint8Array,
  options: EmbedImageOptions = {},
): Promise<EmbeddedImage> {
  const result = await analyze(deps, image, {
    select: options.face ?? "largest",
    requireFace: true,
  });
  return {
    model: deps.model,
    dim: deps.pipeline.manifest.embedder.dim,
    faces: result.faces.map((f) => ({ box: f.box, embedding: f.embedding ?? new Float32Array() })),
    ...rotationField(result),
  };
}
