/**
 * Looks for embeddings in raw bytes (a Deno KV SQLite file and its WAL, a Redis RDB dump, values
 * read from a keyspace) in every plain encoding a careless store could use: float32 little- and
 * big-endian, int8 (as the gallery index quantises), base64 of the float32 bytes, and decimal
 * JSON. Windows of the vector are searched, so a partial copy is found too.
 *
 * @module
 */
import { encodeEmbedding } from "../../lib/store/mod.ts";

/** One searchable rendering of an embedding. */
export interface Needle {
  /** Encoding name, e.g. `"float32le@0"`. */
  name: string;
  bytes: Uint8Array;
}

const WINDOW = 32;
const encoder = new TextEncoder();

/** Every plain rendering of `embedding` (several windows each). */
export function plainNeedles(embedding: Float32Array): Needle[] {
  const out: Needle[] = [];
  const dim = embedding.length;
  const le = encodeEmbedding(embedding);
  const be = new Uint8Array(dim * 4);
  const view = new DataView(be.buffer);
  embedding.forEach((x, i) => view.setFloat32(i * 4, x, false));
  let max = 0;
  for (const x of embedding) max = Math.max(max, Math.abs(x));
  const int8 = new Uint8Array(Int8Array.from(embedding, (x) => Math.round((x * 127) / max)).buffer);
  const int8Fixed = new Uint8Array(Int8Array.from(embedding, (x) => Math.round(x * 127)).buffer);
  for (const at of [0, Math.floor(dim / 2)]) {
    out.push({ name: `float32le@${at}`, bytes: le.slice(at * 4, at * 4 + WINDOW) });
    out.push({ name: `float32be@${at}`, bytes: be.slice(at * 4, at * 4 + WINDOW) });
    out.push({ name: `int8@${at}`, bytes: int8.slice(at, at + WINDOW) });
    out.push({ name: `int8x127@${at}`, bytes: int8Fixed.slice(at, at + WINDOW) });
    // base64 of the float32 bytes: whatever precedes them in a blob, one of the three byte
    // offsets starts a base64 group there.
    for (let shift = 0; shift < 3; shift++) {
      const b64 = le.slice(at * 4 + shift, at * 4 + shift + 48).toBase64();
      out.push({ name: `base64+${shift}@${at}`, bytes: encoder.encode(b64) });
    }
    const nums = Array.from(embedding.subarray(at, at + 3));
    out.push({ name: `json@${at}`, bytes: encoder.encode(nums.join(",")) });
    const short = nums.map((x) => String(Number(x.toPrecision(7))));
    out.push({ name: `json7@${at}`, bytes: encoder.encode(short.join(",")) });
  }
  return out;
}

/** Whether `needle` occurs in `hay`. */
export function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  const first = needle[0];
  for (
    let i = hay.indexOf(first);
    i >= 0 && i <= hay.length - needle.length;
    i = hay.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

/** The names of the renderings of `embeddings` found in `hay` (prefixed with the vector's index). */
export function findPlain(hay: Uint8Array, embeddings: Float32Array[]): string[] {
  const found: string[] = [];
  embeddings.forEach((e, k) => {
    for (const n of plainNeedles(e)) if (contains(hay, n.bytes)) found.push(`#${k}:${n.name}`);
  });
  return found;
}

/** Reads the files that exist among `paths` (e.g. a KV file with `-wal` and `-shm`), joined. */
export async function readExisting(paths: string[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const p of paths) {
    try {
      parts.push(await Deno.readFile(p));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
