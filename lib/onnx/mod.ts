/**
 * The ONNX runtime sessions of an isolate: {@linkcode SessionCache} (one lazily created session per
 * model, shared by detect, landmarks and embed), model loaders, and the tensor type.
 *
 * @module
 */

export * from "./session_cache.ts";
