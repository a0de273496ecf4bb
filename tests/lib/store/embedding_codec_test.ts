import assert from "node:assert/strict";
import {
  decodeEmbedding,
  embeddingFromBase64,
  embeddingToBase64,
  encodeEmbedding,
  packGalleryRecord,
  unpackGalleryRecord,
} from "../../../lib/store/faces/embedding_codec.ts";

Deno.test("encodeEmbedding() writes float32 little-endian bytes", () => {
  assert.deepEqual([...encodeEmbedding(new Float32Array([1, -2]))], [0, 0, 128, 63, 0, 0, 0, 192]);
  const sub = new Float32Array([9, 1, 9]).subarray(1, 2);
  assert.deepEqual([...encodeEmbedding(sub)], [0, 0, 128, 63]);
});

Deno.test("decodeEmbedding() inverts encodeEmbedding() exactly, including specials", () => {
  const v = new Float32Array([0, -0, 1e-38, 3.4e38, -1.5, Math.PI, 1 / 3]);
  const back = decodeEmbedding(encodeEmbedding(v));
  assert.deepEqual([...back], [...v]);
  assert.ok(Object.is(back[1], -0));
  const offset = new Uint8Array(9);
  offset.set(encodeEmbedding(new Float32Array([2, 4])), 1);
  assert.deepEqual([...decodeEmbedding(offset.subarray(1))], [2, 4]);
  assert.throws(() => decodeEmbedding(new Uint8Array(3)), RangeError);
});

Deno.test("embeddingToBase64() round trips a 512-d embedding in 2732 characters", () => {
  const v = Float32Array.from({ length: 512 }, (_, i) => Math.sin(i));
  const text = embeddingToBase64(v);
  assert.equal(text.length, 2732);
  assert.deepEqual([...embeddingFromBase64(text)], [...v]);
});

Deno.test("packGalleryRecord() carries the subject and the exact vector", () => {
  const v = Float32Array.from({ length: 128 }, (_, i) => i / 7);
  for (const subject of ["a", "alice@example.org", "x".repeat(128), "Zoë 李"]) {
    const row = unpackGalleryRecord(packGalleryRecord(subject, v));
    assert.equal(row.subject, subject);
    assert.deepEqual([...row.embedding], [...v]);
  }
  assert.equal(
    unpackGalleryRecord(packGalleryRecord("s", new Float32Array(0))).embedding.length,
    0,
  );
  assert.throws(() => unpackGalleryRecord("AA"), RangeError);
  assert.throws(() => unpackGalleryRecord(new Uint8Array([10, 0, 65]).toBase64()), RangeError);
});
