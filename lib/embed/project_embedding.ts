/**
 * The learned linear map of a projected recipe (v3: 512 → 128): `normalize(W · x)`.
 *
 * @module
 */
import type { SessionCache } from "../onnx/mod.ts";
import type { ProjectionEntry } from "../../models/manifest.ts";

/** A linear map from `input` to `output` dimensions, row-major `output × input` weights. */
export interface Projection {
  /** Input dimension (the embedder's). */
  input: number;
  /** Output dimension (the stored template's). */
  output: number;
  /** `output × input` weights, row-major. */
  weights: Float32Array;
}

/**
 * Reads a projection file: little-endian float32 weights, row-major `output × input`.
 *
 * @throws {RangeError} when the byte length is not `4 · output · input` or a weight is not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProjection } from "./project_embedding.ts";
 * const bytes = new Uint8Array(new Float32Array([1, 0, 0, 0, 1, 0]).buffer);
 * assert.equal(parseProjection(bytes, 3, 2).weights[4], 1);
 * assert.throws(() => parseProjection(bytes, 4, 2), RangeError);
 * ```
 */
export function parseProjection(bytes: Uint8Array, input: number, output: number): Projection {
  if (bytes.byteLength !== 4 * input * output) {
    throw new RangeError(
      `Projection: expected ${
        4 * input * output
      } bytes (${output}×${input} float32), got ${bytes.byteLength}`,
    );
  }
  const weights = new Float32Array(input * output);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < weights.length; i++) {
    const w = view.getFloat32(4 * i, true);
    if (!Number.isFinite(w)) throw new RangeError(`Projection: weight ${i} is not finite`);
    weights[i] = w;
  }
  return { input, output, weights };
}

/**
 * Projects a unit embedding and scales the result to unit length (a zero result stays zero).
 *
 * @throws {RangeError} when `x` does not have the projection's input dimension.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { projectEmbedding } from "./project_embedding.ts";
 * // Keep the first two of three coordinates.
 * const p = { input: 3, output: 2, weights: new Float32Array([1, 0, 0, 0, 1, 0]) };
 * assert.deepEqual([...projectEmbedding(new Float32Array([0.6, 0.8, 0.5]), p)].map((v) => +v.toFixed(4)), [0.6, 0.8]);
 * ```
 */
export function projectEmbedding(x: Float32Array, p: Projection): Float32Array {
  if (x.length !== p.input) {
    throw new RangeError(`Projection: a ${x.length}-d embedding for a ${p.input}-d map`);
  }
  const out = new Float32Array(p.output);
  let norm = 0;
  for (let r = 0; r < p.output; r++) {
    let s = 0;
    const row = r * p.input;
    for (let c = 0; c < p.input; c++) s += p.weights[row + c] * x[c];
    out[r] = s;
    norm += s * s;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let r = 0; r < p.output; r++) out[r] *= inv;
  return out;
}

/**
 * A recipe's projection, read with the isolate's model loader and parsed once per isolate (cached
 * by the file's sha256, so every recipe naming the same file shares it).
 *
 * @throws {FaceError} `model_unavailable` when the file cannot be read or parsed.
 */
export function loadProjection(
  sessions: SessionCache,
  entry: ProjectionEntry,
): Promise<Projection> {
  return sessions.data(
    { id: `projection:${entry.sha256}`, file: entry.file },
    (bytes) => parseProjection(bytes, entry.input, entry.output),
  );
}
