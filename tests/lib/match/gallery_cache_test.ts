import assert from "node:assert/strict";
import { GalleryCache } from "../../../lib/match/mod.ts";
import type { Gallery } from "../../../lib/store/mod.ts";

function gallery(faces: number, dim = 16): Gallery {
  const vectors = new Float32Array(faces * dim);
  for (let i = 0; i < faces; i++) vectors[i * dim + (i % dim)] = 1;
  return {
    dim,
    subjects: Array.from({ length: faces }, (_, i) => `s${i}`),
    subjectIndex: Int32Array.from({ length: faces }, (_, i) => i),
    faceIds: Array.from({ length: faces }, (_, i) => `f${i}`),
    vectors,
  };
}

Deno.test("GalleryCache loads once per version and reloads when the version changes", async () => {
  const cache = new GalleryCache();
  let loads = 0;
  const load = () => Promise.resolve((loads++, gallery(3)));
  const a = await cache.get("m|c", "v1", load);
  const b = await cache.get("m|c", "v1", load);
  assert.equal(a, b);
  assert.equal(loads, 1);
  await cache.get("m|c", "v2", load);
  assert.equal(loads, 2);
  await cache.get("m|other", "v2", load);
  assert.equal(loads, 3, "collections are cached separately");
});

Deno.test("GalleryCache never caches a null version", async () => {
  const cache = new GalleryCache();
  let loads = 0;
  const load = () => Promise.resolve((loads++, gallery(2)));
  await cache.get("k", null, load);
  await cache.get("k", null, load);
  assert.equal(loads, 2);
  assert.equal(cache.bytes, 0);
});

Deno.test("GalleryCache shares one load between concurrent requests", async () => {
  const cache = new GalleryCache();
  let loads = 0;
  const load = () => new Promise<Gallery>((r) => setTimeout(() => r((loads++, gallery(2))), 5));
  const [a, b] = await Promise.all([cache.get("k", "v", load), cache.get("k", "v", load)]);
  assert.equal(a, b);
  assert.equal(loads, 1);
});

Deno.test("GalleryCache forgets a failed load so the next request retries", async () => {
  const cache = new GalleryCache();
  await assert.rejects(cache.get("k", "v", () => Promise.reject(new Error("down"))), /down/);
  const index = await cache.get("k", "v", () => Promise.resolve(gallery(1)));
  assert.equal(index.size, 1);
});

Deno.test("GalleryCache evicts the least recently used index beyond maxBytes", async () => {
  // Each 10-face gallery of dim 16 takes 10·(16 + 4) = 200 bytes.
  const cache = new GalleryCache({ maxBytes: 450 });
  let loads = 0;
  const load = () => Promise.resolve((loads++, gallery(10)));
  await cache.get("a", "1", load);
  await cache.get("b", "1", load);
  await cache.get("a", "1", load); // a is now the most recent
  await cache.get("c", "1", load); // evicts b
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(cache.bytes, 400);
  assert.equal(loads, 3);
  await cache.get("a", "1", load);
  assert.equal(loads, 3, "a stayed cached");
  await cache.get("b", "1", load);
  assert.equal(loads, 4, "b was evicted");
});
