/**
 * Embedding of an aligned face (see `lib/align`) with the recognition network.
 *
 * @module
 */
import { ALIGNED_SIZE } from "../align/mod.ts";
import { type OrtSession, Tensor } from "../onnx/mod.ts";

/** Options for {@linkcode embedFace}. */
export interface EmbedFaceOptions {
  /** Average the embeddings of the face and its mirror image (test-time augmentation). Default: true. */
  flip?: boolean;
}

/** Scales `v` to unit length in place and returns it (a zero vector stays zero). */
function normalizeInPlace(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i] *= inv;
  return v;
}

/**
 * Embeds an aligned face: returns a unit-length vector (`dim` from the model, 512 here).
 * With `flip`, the face and its mirror each go through the network (the model has a fixed batch
 * of 1) and the normalised outputs are averaged and renormalised.
 */
export async function embedFace(
  session: OrtSession,
  aligned: Float32Array,
  options: EmbedFaceOptions = {},
): Promise<Float32Array> {
  return (await embedFaceWithNorm(session, aligned, options)).embedding;
}

/** What {@linkcode embedFaceWithNorm} returns. */
export interface EmbeddingWithNorm {
  /** The unit-length embedding, as {@linkcode embedFace} returns it. */
  embedding: Float32Array;
  /**
   * Length of the network's raw output (the mean over face and mirror with `flip`). Recognition
   * networks answer an upright face with a long vector and a face turned sideways or upside down
   * with a short one (dev LFW: 2.65–5 upright, 1.7–2.6 turned), so it tells orientations apart.
   */
  norm: number;
}

/** {@linkcode embedFace}, also returning the raw output's length. */
export async function embedFaceWithNorm(
  session: OrtSession,
  aligned: Float32Array,
  options: EmbedFaceOptions = {},
): Promise<EmbeddingWithNorm> {
  const plane = 3 * ALIGNED_SIZE * ALIGNED_SIZE;
  const run = async (input: Float32Array) => {
    const out = await session.run({
      input: new Tensor("float32", input, [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]),
    });
    const v = new Float32Array(out.output.data as Float32Array);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * v[i];
    return { v: normalizeInPlace(v), norm: Math.sqrt(s) };
  };
  if (!(options.flip ?? true)) {
    const { v, norm } = await run(aligned);
    return { embedding: v, norm };
  }
  const mirrored = new Float32Array(plane);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < ALIGNED_SIZE; y++) {
      const row = c * ALIGNED_SIZE * ALIGNED_SIZE + y * ALIGNED_SIZE;
      for (let x = 0; x < ALIGNED_SIZE; x++) {
        mirrored[row + x] = aligned[row + ALIGNED_SIZE - 1 - x];
      }
    }
  }
  const a = await run(aligned);
  const b = await run(mirrored);
  const va = a.v;
  for (let i = 0; i < va.length; i++) va[i] += b.v[i];
  return { embedding: normalizeInPlace(va), norm: (a.norm + b.norm) / 2 };
}
