/**
 * Compact binary encoding of embeddings: float32 little-endian bytes (raw for Deno KV, base64 for
 * string stores such as Redis), plus the packed gallery record used by the Redis store.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes an embedding as float32 little-endian bytes (4 bytes per dimension).
 *
 * @param embedding The vector.
 * @returns A new byte array of length `4 * embedding.length`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEmbedding } from "./embedding_codec.ts";
 * const bytes = encodeEmbedding(new Float32Array([1]));
 * assert.equal(bytes.join(), "0,0,128,63");
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
 * import assert from "node:assert/strict";
 * import { decodeEmbedding } from "./embedding_codec.ts";
 * assert.equal(decodeEmbedding(new Uint8Array([0, 0, 128, 63]))[0], 1);
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
 * Embedding as base64 of its float32 little-endian bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingToBase64 } from "./embedding_codec.ts";
 * assert.equal(embeddingToBase64(new Float32Array([1])), "AACAPw==");
 * ```
 */
export function embeddingToBase64(embedding: Float32Array): string {
  return encodeEmbedding(embedding).toBase64();
}

/**
 * Inverse of {@linkcode embeddingToBase64}.
 *
 * @throws {SyntaxError} On malformed base64 (`Uint8Array.fromBase64`).
 * @throws {RangeError} On a byte length that is not a multiple of 4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { embeddingFromBase64 } from "./embedding_codec.ts";
 * assert.equal(embeddingFromBase64("AACAPw==")[0], 1);
 * ```
 */
export function embeddingFromBase64(text: string): Float32Array {
  return decodeEmbedding(Uint8Array.fromBase64(text));
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
 * import assert from "node:assert/strict";
 * import { packGalleryRecord, unpackGalleryRecord } from "./embedding_codec.ts";
 * const row = unpackGalleryRecord(packGalleryRecord("ann", new Float32Array([0.5])));
 * assert.ok(row.subject === "ann" && row.embedding[0] === 0.5);
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
  return out.toBase64();
}

/**
 * Inverse of {@linkcode packGalleryRecord}. A stamped row ({@linkcode stampGalleryRecord}) is read
 * the same.
 *
 * @throws {RangeError} On a malformed record; {SyntaxError} on malformed base64.
 */
export function unpackGalleryRecord(packed: string): GalleryRecord {
  const bytes = Uint8Array.fromBase64(unstamp(packed));
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
  /** AAD version: 1 (`e1.`) or 2 (`e2.`: the row's creation stamp is bound too). */
  aad: 1 | 2;
}

/**
 * Packs a sealed gallery row as `"e2." + keyId + "." + base64(subjectLen (u16 LE) | subject |
 * sealed)` (`"e1."` with `aad` 1, the format before the creation time was bound). Plain rows
 * ({@linkcode packGalleryRecord}) never contain a `.`, so both can be told apart while a store is
 * migrated.
 *
 * @throws {RangeError} When the subject is longer than 65535 UTF-8 bytes or the key id has a `.`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packSealedGalleryRecord, unpackSealedGalleryRecord } from "./embedding_codec.ts";
 * const packed = packSealedGalleryRecord("ann", "00ff", new Uint8Array([9]));
 * assert.ok(packed.startsWith("e2.00ff."));
 * assert.ok(unpackSealedGalleryRecord(packed)?.sealed[0] === 9);
 * assert.ok(unpackSealedGalleryRecord(packed)?.aad === 2);
 * ```
 */
export function packSealedGalleryRecord(
  subject: string,
  keyId: string,
  sealed: Uint8Array,
  aad: 1 | 2 = 2,
): string {
  const name = new TextEncoder().encode(subject);
  if (name.length > 0xffff) throw new RangeError("Cannot pack gallery record: subject too long");
  if (keyId.includes(".")) throw new RangeError("Cannot pack gallery record: key id has a dot");
  const out = new Uint8Array(2 + name.length + sealed.length);
  out[0] = name.length & 0xff;
  out[1] = name.length >> 8;
  out.set(name, 2);
  out.set(sealed, 2 + name.length);
  return `e${aad}.${keyId}.${out.toBase64()}`;
}

/**
 * Inverse of {@linkcode packSealedGalleryRecord}; null for a plain row. A stamped row
 * ({@linkcode stampGalleryRecord}) is read the same.
 *
 * @throws {RangeError} On a malformed record.
 */
export function unpackSealedGalleryRecord(stamped: string): SealedGalleryRecord | null {
  const packed = unstamp(stamped);
  const aad = packed.startsWith("e2.") ? 2 : packed.startsWith("e1.") ? 1 : 0;
  if (aad === 0) return null;
  const dot = packed.indexOf(".", 3);
  if (dot < 0) throw new RangeError("Cannot unpack gallery record: no key id");
  const bytes = Uint8Array.fromBase64(packed.slice(dot + 1));
  if (bytes.length < 2) throw new RangeError("Cannot unpack gallery record: too short");
  const len = bytes[0] | (bytes[1] << 8);
  if (2 + len > bytes.length) throw new RangeError("Cannot unpack gallery record: truncated");
  return {
    subject: new TextDecoder().decode(bytes.subarray(2, 2 + len)),
    keyId: packed.slice(3, dot),
    sealed: bytes.subarray(2 + len),
    aad,
  };
}

const STAMP = /^c1\.([0-9a-z]{1,11})\./;

/**
 * Stamps a packed gallery row (plain or sealed) with its face's creation time, so a gallery read
 * knows each face's age without reading the faces: `"c1." + ms (base 36) + "." + row`. Neither
 * plain rows (base64, no `.`) nor sealed rows (`e1.`, `e2.`) start with `c1.`, so rows written before
 * stamps existed still read ({@linkcode galleryRecordCreatedAt} is then null).
 *
 * @throws {RangeError} For a time that is not a non-negative integer of ms.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   galleryRecordCreatedAt,
 *   packGalleryRecord,
 *   stampGalleryRecord,
 *   unpackGalleryRecord,
 * } from "./embedding_codec.ts";
 * const row = stampGalleryRecord(packGalleryRecord("ann", new Float32Array([0.5])), 1700000000000);
 * assert.equal(galleryRecordCreatedAt(row), 1700000000000);
 * assert.equal(unpackGalleryRecord(row).subject, "ann");
 * assert.equal(galleryRecordCreatedAt(packGalleryRecord("ann", new Float32Array([0.5]))), null);
 * ```
 */
export function stampGalleryRecord(packed: string, createdMs: number): string {
  if (!Number.isSafeInteger(createdMs) || createdMs < 0) {
    throw new RangeError(`Cannot stamp gallery record: ${createdMs} is not a time in ms`);
  }
  return `c1.${createdMs.toString(36)}.${unstamp(packed)}`;
}

/** The creation time (ms) a row was stamped with, or null for a row without a stamp. */
export function galleryRecordCreatedAt(packed: string): number | null {
  const m = STAMP.exec(packed);
  return m === null ? null : parseInt(m[1], 36);
}

function unstamp(packed: string): string {
  const m = STAMP.exec(packed);
  return m === null ? packed : packed.slice(m[0].length);
}
