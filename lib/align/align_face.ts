/**
 * Alignment to the ArcFace 112×112 template: the similarity map from five landmarks and the
 * aligned face as the embedder's input tensor.
 *
 * @module
 */
import type { Raster } from "../image/raster.ts";
import type { Affine } from "./affine.ts";
import { estimateSimilarity, type Point } from "./estimate_similarity.ts";
import { warpToTensor } from "./warp_to_tensor.ts";

/** Side of the aligned face in pixels. */
export const ALIGNED_SIZE = 112;

/**
 * The similarity map from source pixels to the 112×112 template given five landmarks.
 * @param template five `[x, y]` template points (from the model manifest).
 */
export function alignmentTransform(fivePoints: Point[], template: Point[]): Affine {
  return estimateSimilarity(fivePoints, template);
}

/** Options for {@linkcode alignedTensor}. */
export interface AlignedTensorOptions {
  /** Plane order the network expects (manifest `input.channels`). Default: `"bgr"`. */
  channels?: "rgb" | "bgr";
  /** Mirror horizontally. Default: false. */
  flip?: boolean;
}

/** The aligned face as a planar tensor normalised `(x − 127.5) / 128`. */
export function alignedTensor(
  raster: Raster,
  transform: Affine,
  options: AlignedTensorOptions = {},
): Float32Array {
  return warpToTensor(raster, transform, ALIGNED_SIZE, ALIGNED_SIZE, {
    channels: options.channels ?? "bgr",
    mean: 127.5,
    std: 128,
    fill: 127.5,
    flip: options.flip ?? false,
  });
}
