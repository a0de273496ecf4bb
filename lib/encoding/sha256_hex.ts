import { encodeHex } from "./encode_hex.ts";

/**
 * The SHA-256 digest of text (UTF-8) or bytes, as lower-case hex.
 *
 * @param data Text or bytes.
 * @returns 64 hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha256_hex.ts";
 * assert.equal((await sha256Hex("abc")).slice(0, 8), "ba7816bf");
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return encodeHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}
