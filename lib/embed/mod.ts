/**
 * Embedding: ONNX session cache, alignment to the template, the embedding network.
 * @module
 */
export * from "./session_cache.ts";
export * from "./embed_face.ts";
export * from "./collection_recipe.ts";
