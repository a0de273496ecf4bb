/**
 * Byte encodings shared by every folder: hex and SHA-256 hex. Other folders import only this file.
 *
 * @module
 */
export * from "./encode_hex.ts";
export * from "./sha256_hex.ts";
