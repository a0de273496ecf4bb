import assert from "node:assert/strict";
import { GalleryIndex, searchGallery } from "../../../lib/match/mod.ts";
import type { Gallery } from "../../../lib/store/mod.ts";

/** Deterministic pseudo-random unit vectors around `subjects` centres, 1–3 faces each. */
function syntheticGallery(subjects: number, dim: number, seed = 7): Gallery {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const unit = (v: Float32Array) => {
    let n = 0;
    for (const x of v) n += x * x;
    for (let i = 0; i < v.length; i++) v[i] /= Math.sqrt(n);
    return v;
  };
  const vecs: number[] = [], idx: number[] = [], ids: string[] = [], names: string[] = [];
  for (let si = 0; si < subjects; si++) {
    names.push(`s${String(si).padStart(6, "0")}`);
    const centre = unit(Float32Array.from({ length: dim }, rnd));
    for (let f = 0; f < 1 + (si % 3); f++) {
      const v = unit(centre.map((c) => c + 0.05 * rnd()));
      vecs.push(...v);
      idx.push(si);
      ids.push(`f${si}_${f}`);
    }
  }
  return {
    dim,
    subjects: names,
    subjectIndex: Int32Array.from(idx),
    faceIds: ids,
    vectors: Float32Array.from(vecs),
  };
}

for (const simd of [true, false]) {
  Deno.test(`GalleryIndex (simd: ${simd}) ranks subjects like searchGallery with distances within 0.003`, () => {
    const g = syntheticGallery(300, 512);
    const index = GalleryIndex.build(g, { simd });
    if (simd) assert.equal(index.simd, true, "the SIMD kernel should run in Deno");
    for (const probeFace of [0, 17, 250, 420]) {
      const probe = g.vectors.slice(probeFace * 512, (probeFace + 1) * 512).map((x, i) =>
        x + 0.01 * Math.sin(i + probeFace)
      );
      const exact = searchGallery(g, probe, { k: 3 });
      const approx = index.search(probe, 3);
      assert.equal(approx[0].subject, exact[0].subject);
      assert.equal(approx[0].face_id, exact[0].face_id);
      for (let i = 0; i < 3; i++) {
        const e = exact.find((c) => c.subject === approx[i].subject);
        if (e) {
          assert.ok(
            Math.abs(e.distance - approx[i].distance) < 0.003,
            `${e.distance} vs ${approx[i].distance}`,
          );
        }
      }
    }
  });
}

Deno.test("GalleryIndex stores 4 + dim bytes per face and refuses a bad probe or k", () => {
  const g = syntheticGallery(10, 64);
  const index = GalleryIndex.build(g);
  assert.equal(index.size, g.faceIds.length);
  assert.equal(index.bytes, g.faceIds.length * (64 + 4));
  assert.throws(() => index.search(new Float32Array(3)), RangeError);
  assert.throws(() => index.search(new Float32Array(64), 0), RangeError);
});

Deno.test("GalleryIndex of an empty gallery returns no candidate", () => {
  const index = GalleryIndex.build({
    dim: 512,
    subjects: [],
    subjectIndex: new Int32Array(0),
    faceIds: [],
    vectors: new Float32Array(0),
  });
  assert.deepEqual(index.search(new Float32Array(512).fill(1 / Math.sqrt(512))), []);
});

Deno.test("GalleryIndex refuses a gallery whose arrays disagree", () => {
  assert.throws(
    () =>
      GalleryIndex.build({
        dim: 2,
        subjects: ["a"],
        subjectIndex: new Int32Array([0, 0]),
        faceIds: ["x"],
        vectors: new Float32Array(2),
      }),
    RangeError,
  );
});

/** `g` split into chunks of `size` faces (subjects spanning chunks), as a store would yield them. */
async function* chunksOf(g: Gallery, size: number): AsyncIterable<Gallery> {
  for (let start = 0; start < g.faceIds.length; start += size) {
    const end = Math.min(start + size, g.faceIds.length);
    const names: string[] = [], local = new Map<string, number>();
    const idx = new Int32Array(end - start);
    const expires: number[] = [];
    for (let i = start; i < end; i++) {
      const name = g.subjects[g.subjectIndex[i]];
      if (!local.has(name)) {
        local.set(name, names.length);
        names.push(name);
        expires.push(g.subjectExpiresAt?.[g.subjectIndex[i]] ?? Infinity);
      }
      idx[i - start] = local.get(name)!;
    }
    yield {
      dim: g.dim,
      subjects: names,
      subjectIndex: idx,
      faceIds: g.faceIds.slice(start, end),
      vectors: g.vectors.slice(start * g.dim, end * g.dim),
      createdAt: g.createdAt?.slice(start, end),
      subjectExpiresAt: Float64Array.from(expires),
    };
    await Promise.resolve();
  }
}

for (const simd of [true, false]) {
  Deno.test(`GalleryIndex.fromChunks (simd: ${simd}) answers exactly as build() over the whole gallery, liveness included`, async () => {
    const g = syntheticGallery(200, 512, 11);
    const n = g.faceIds.length;
    // Creation times 0..n-1 and every fifth subject expiring at 50: the masks must carry over.
    g.createdAt = Float64Array.from({ length: n }, (_, i) => i);
    g.subjectExpiresAt = Float64Array.from(g.subjects, (_, si) => si % 5 === 0 ? 50 : Infinity);
    const whole = GalleryIndex.build(g, { simd });
    // 37 does not divide the face count, and subjects have 1-3 faces: some span two chunks.
    const chunked = await GalleryIndex.fromChunks(chunksOf(g, 37), { simd });
    assert.equal(chunked.size, n);
    assert.equal(chunked.simd, whole.simd);
    assert.equal(chunked.bytes, whole.bytes);
    const windows = [undefined, { createdSince: 100, now: 10 }, {
      createdSince: -Infinity,
      now: 60,
    }];
    for (const probeFace of [0, 5, 33, 250, n - 1]) {
      const probe = g.vectors.slice(probeFace * 512, (probeFace + 1) * 512);
      for (const w of windows) {
        assert.deepEqual(chunked.search(probe, 4, w), whole.search(probe, 4, w));
      }
    }
    assert.deepEqual(
      chunked.expiredFaces({ createdSince: 100, now: 60 }).map((f) => JSON.stringify(f)).sort(),
      whole.expiredFaces({ createdSince: 100, now: 60 }).map((f) => JSON.stringify(f)).sort(),
    );
  });
}

Deno.test("GalleryIndex.fromChunks of no chunks is empty and refuses chunks of two dimensions", async () => {
  const empty = await GalleryIndex.fromChunks((async function* () {})());
  assert.equal(empty.size, 0);
  const mixed = (async function* () {
    yield* chunksOf(syntheticGallery(2, 16), 10);
    yield* chunksOf(syntheticGallery(2, 32), 10);
  })();
  await assert.rejects(GalleryIndex.fromChunks(mixed), RangeError);
});
