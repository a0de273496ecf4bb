/**
 * The wire format between the Worker and its gallery shards (Durable Objects reached through
 * their stubs' `fetch`): rows travel as one binary body, `[u32 JSON length][JSON][float32 rows]`.
 *
 * @module
 */

/** Rows to store in a shard: `vectors` holds `faces.length × dim` float32 numbers. */
export interface ShardRows {
  /** Embedding dimension. */
  dim: number;
  /** One entry per face, in the order of `vectors`. */
  faces: { subject: string; face_id: string; created_at: number }[];
  /** Unit embeddings, packed. */
  vectors: Float32Array;
}

/**
 * Packs rows into one body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packRows, unpackRows } from "./shard_protocol.ts";
 * const rows = { dim: 2, faces: [{ subject: "a", face_id: "f", created_at: 1 }], vectors: new Float32Array([0.6, 0.8]) };
 * assert.deepEqual(unpackRows(packRows(rows)), rows);
 * ```
 */
export function packRows(rows: ShardRows): Uint8Array<ArrayBuffer> {
  const meta = new TextEncoder().encode(JSON.stringify({ dim: rows.dim, faces: rows.faces }));
  const pad = (4 - (meta.length % 4)) % 4;
  const out = new Uint8Array(4 + meta.length + pad + rows.vectors.byteLength);
  new DataView(out.buffer).setUint32(0, meta.length + pad, true);
  out.set(meta, 4);
  out.fill(0x20, 4 + meta.length, 4 + meta.length + pad);
  out.set(
    new Uint8Array(rows.vectors.buffer, rows.vectors.byteOffset, rows.vectors.byteLength),
    4 + meta.length + pad,
  );
  return out;
}

/**
 * Unpacks {@linkcode packRows}' body.
 * @throws {RangeError} When the body is malformed.
 */
export function unpackRows(body: Uint8Array): ShardRows {
  if (body.length < 4) throw new RangeError("shard rows: body too short");
  const n = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(0, true);
  const meta = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + n)));
  const bytes = body.slice(4 + n);
  const vectors = new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  if (vectors.length !== meta.faces.length * meta.dim) {
    throw new RangeError("shard rows: vectors and faces disagree");
  }
  return { dim: meta.dim, faces: meta.faces, vectors };
}
