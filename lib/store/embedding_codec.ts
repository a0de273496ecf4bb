/**
 * Compact binary encoding of embeddings: float32 little-endian bytes (raw for Deno KV, base64 for
 * string stores such as Redis), plus the packed gallery record used by the Redis store.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/**
 * Encodes an embedding as float32 little-endian bytes (4 bytes per dimension).
 *
 * @param embedding The vector.
 * @returns A new byte array of length `4 * embedding.length`.
 *
 * @example
 * ```ts
 * import { encodeEmbedding } from "./embedding_codec.ts";
 * const bytes = encodeEmbedding(new Float32Array([1]));
 * console.assert(bytes.join() === "0,0,128,63");
 * ```
 */
export function encodeEmbedding(embedding: Float32Array): Uint8Array {
  const out = new Uint8Array(embedding.length * 4);
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength));
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < embedding.length; i++) view.setFloat32(i * 4, embedding[i], true);
  }
  return out;
}

/**
 * Decodes float32 little-endian bytes into a new embedding.
 *
 * @param bytes Bytes from {@linkcode encodeEmbedding}.
 * @returns A new `Float32Array` of `bytes.length / 4` values.
 * @throws {RangeError} When the length is not a multiple of 4.
 *
 * @example
 * ```ts
 * import { decodeEmbedding } from "./embedding_codec.ts";
 * console.assert(decodeEmbedding(new Uint8Array([0, 0, 128, 63]))[0] === 1);
 * ```
 */
export function decodeEmbedding(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) {
    throw new RangeError(`Cannot decode embedding: ${bytes.length} bytes is not a multiple of 4`);
  }
  const out = new Float32Array(bytes.length / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

/**
 * Standard base64 (with padding) of `bytes`.
 *
 * @example
 * ```ts
 * import { bytesToBase64 } from "./embedding_codec.ts";
 * console.assert(bytesToBase64(new TextEncoder().encode("hi")) === "aGk=");
 * ```
 */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64[n >> 18] + B64[(n >> 12) & 63] + "==";
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + "=";
  }
  return out;
}

/**
 * Decodes standard base64 (padding optional).
 *
 * @throws {RangeError} On a character outside the base64 alphabet or an impossible length.
 *
 * @example
 * ```ts
 * import { base64ToBytes } from "./embedding_codec.ts";
 * console.assert(new TextDecoder().decode(base64ToBytes("aGk=")) === "hi");
 * ```
 */
export function base64ToBytes(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) throw new RangeError("Cannot decode base64: impossible length");
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new RangeError(`Cannot decode base64: invalid character at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Embedding as base64 of its float32 little-endian bytes.
 *
 * @example
 * ```ts
 * import { embeddingToBase64 } from "./embedding_codec.ts";
 * console.assert(embeddingToBase64(new Float32Array([1])) === "AACAPw==");
 * ```
 */
export function embeddingToBase64(embedding: Float32Array): string {
  return bytesToBase64(encodeEmbedding(embedding));
}

/**
 * Inverse of {@linkcode embeddingToBase64}.
 *
 * @throws {RangeError} On malformed base64 or a byte length that is not a multiple of 4.
 *
 * @example
 * ```ts
 * import { embeddingFromBase64 } from "./embedding_codec.ts";
 * console.assert(embeddingFromBase64("AACAPw==")[0] === 1);
 * ```
 */
export function embeddingFromBase64(text: string): Float32Array {
  return decodeEmbedding(base64ToBytes(text));
}

/** One gallery row as packed by {@linkcode packGalleryRecord}. */
export interface GalleryRecord {
  subject: string;
  embedding: Float32Array;
}

/**
 * Packs a gallery row as base64 of `subjectLen (u16 LE) | subject (UTF-8) | float32 LE bytes`.
 *
 * @throws {RangeError} When the subject is longer than 65535 UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { packGalleryRecord, unpackGalleryRecord } from "./embedding_codec.ts";
 * const row = unpackGalleryRecord(packGalleryRecord("ann", new Float32Array([0.5])));
 * console.assert(row.subject === "ann" && row.embedding[0] === 0.5);
 * ```
 */
export function packGalleryRecord(subject: string, embedding: Float32Array): string {
  const name = new TextEncoder().encode(subject);
  if (name.length > 0xffff) throw new RangeError("Cannot pack gallery record: subject too long");
  const out = new Uint8Array(2 + name.length + embedding.length * 4);
  out[0] = name.length & 0xff;
  out[1] = name.length >> 8;
  out.set(name, 2);
  out.set(encodeEmbedding(embedding), 2 + name.length);
  return bytesToBase64(out);
}

/**
 * Inverse of {@linkcode packGalleryRecord}.
 *
 * @throws {RangeError} On a malformed record.
 */
export function unpackGalleryRecord(packed: string): GalleryRecord {
  const bytes = base64ToBytes(packed);
  if (bytes.length < 2) throw new RangeError("Cannot unpack gallery record: too short");
  const len = bytes[0] | (bytes[1] << 8);
  if (2 + len > bytes.length) throw new RangeError("Cannot unpack gallery record: truncated");
  return {
    subject: new TextDecoder().decode(bytes.subarray(2, 2 + len)),
    embedding: decodeEmbedding(bytes.subarray(2 + len)),
  };
}

/** A sealed gallery row as packed by {@linkcode packSealedGalleryRecord}. */
export interface SealedGalleryRecord {
  subject: string;
  /** Id of the data key that sealed it. */
  keyId: string;
  /** The sealed embedding (`iv | ciphertext | tag`). */
  sealed: Uint8Array;
}

/**
 * Packs a sealed gallery row as `"e1." + keyId + "." + base64(subjectLen (u16 LE) | subject |
 * sealed)`. Plain rows ({@linkcode packGalleryRecord}) never contain a `.`, so both can be told
 * apart while a store is migrated.
 *
 * @throws {RangeError} When the subject is longer than 65535 UTF-8 bytes or the key id has a `.`.
 *
 * @example
 * ```ts
 * import { packSealedGalleryRecord, unpackSealedGalleryRecord } from "./embedding_codec.ts";
 * const packed = packSealedGalleryRecord("ann", "00ff", new Uint8Array([9]));
 * console.assert(packed.startsWith("e1.00ff."));
 * console.assert(unpackSealedGalleryRecord(packed)?.sealed[0] === 9);
 * ```
 */
export function packSealedGalleryRecord(
  subject: string,
  keyId: string,
  sealed: Uint8Array,
): string {
  const name = new TextEncoder().encode(subject);
  if (name.length > 0xffff) throw new RangeError("Cannot pack gallery record: subject too long");
  if (keyId.includes(".")) throw new RangeError("Cannot pack gallery record: key id has a dot");
  const out = new Uint8Array(2 + name.length + sealed.length);
  out[0] = name.length & 0xff;
  out[1] = name.length >> 8;
  out.set(name, 2);
  out.set(sealed, 2 + name.length);
  return `e1.${keyId}.${bytesToBase64(out)}`;
}

/**
 * Inverse of {@linkcode packSealedGalleryRecord}; null for a plain row.
 *
 * @throws {RangeError} On a malformed record.
 */
export function unpackSealedGalleryRecord(packed: string): SealedGalleryRecord | null {
  if (!packed.startsWith("e1.")) return null;
  const dot = packed.indexOf(".", 3);
  if (dot < 0) throw new RangeError("Cannot unpack gallery record: no key id");
  const bytes = base64ToBytes(packed.slice(dot + 1));
  if (bytes.length < 2) throw new RangeError("Cannot unpack gallery record: too short");
  const len = bytes[0] | (bytes[1] << 8);
  if (2 + len > bytes.length) throw new RangeError("Cannot unpack gallery record: truncated");
  return {
    subject: new TextDecoder().decode(bytes.subarray(2, 2 + len)),
    keyId: packed.slice(3, dot),
    sealed: bytes.subarray(2 + len),
  };
}
