/**
 * Lower-case hex of bytes: the one hex encoder of facegate (ids, digests, key ids).
 *
 * @param bytes The bytes (a view's own range, or a whole buffer).
 * @returns Two lower-case hex digits per byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeHex } from "./encode_hex.ts";
 * assert.equal(encodeHex(new Uint8Array([0, 15, 255])), "000fff");
 * ```
 */
export function encodeHex(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return Array.from(view, (b) => b.toString(16).padStart(2, "0")).join("");
}
