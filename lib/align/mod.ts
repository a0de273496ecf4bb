/**
 * Alignment: similarity transforms (Umeyama), warping to the 112×112 template, the aligned
 * tensor. Pure image maths. Other folders import only this file.
 *
 * @module
 */

export * from "./affine.ts";
export * from "./estimate_similarity.ts";
export * from "./warp_to_tensor.ts";
export * from "./align_face.ts";
