/**
 * Embedding: the recognition network on an aligned face (alignment is in `lib/align`, sessions in
 * `lib/onnx`).
 *
 * @module
 */
export * from "./embed_face.ts";
export * from "./collection_recipe.ts";
export * from "./project_embedding.ts";
