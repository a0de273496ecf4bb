import assert from "node:assert/strict";
import {
  expiredFaces,
  type Gallery,
  GalleryIndex,
  isLiveFace,
  liveGallery,
  searchGallery,
} from "../../../lib/match/mod.ts";

/** ann: faces a1 (t=100), a2 (t=900); bob: b1 (t=500), expires at 2000; cy: c1 (no time). */
function gallery(): Gallery {
  const dim = 16;
  const vectors = new Float32Array(4 * dim);
  for (let i = 0; i < 4; i++) vectors[i * dim + i] = 1;
  return {
    dim,
    subjects: ["ann", "bob", "cy"],
    subjectIndex: new Int32Array([0, 0, 1, 2]),
    faceIds: ["a1", "a2", "b1", "c1"],
    vectors,
    createdAt: new Float64Array([100, 900, 500, Infinity]),
    subjectExpiresAt: new Float64Array([Infinity, 2000, Infinity]),
  };
}

function probe(i: number): Float32Array {
  const p = new Float32Array(16);
  p[i] = 1;
  return p;
}

Deno.test("isLiveFace() cuts at the retention cutoff (inclusive) and at the expiry (exclusive)", () => {
  const g = gallery();
  const live = (w: { createdSince: number; now: number }) =>
    g.faceIds.filter((_, i) => isLiveFace(g, i, w));
  assert.deepEqual(live({ createdSince: -Infinity, now: 0 }), ["a1", "a2", "b1", "c1"]);
  assert.deepEqual(live({ createdSince: 100, now: 0 }), ["a1", "a2", "b1", "c1"]);
  assert.deepEqual(live({ createdSince: 101, now: 0 }), ["a2", "b1", "c1"]);
  assert.deepEqual(live({ createdSince: -Infinity, now: 1999 }), ["a1", "a2", "b1", "c1"]);
  assert.deepEqual(live({ createdSince: -Infinity, now: 2000 }), ["a1", "a2", "c1"]);
  const legacy = { ...gallery(), createdAt: undefined, subjectExpiresAt: undefined };
  assert.ok(isLiveFace(legacy, 0, { createdSince: 1e15, now: 1e15 }), "no times: always live");
});

Deno.test("liveGallery() drops expired faces and emptied subjects; expiredFaces() lists them", () => {
  const g = gallery();
  const w = { createdSince: 600, now: 2000 };
  const live = liveGallery(g, w);
  assert.deepEqual(live.subjects, ["ann", "cy"]);
  assert.deepEqual(live.faceIds, ["a2", "c1"]);
  assert.deepEqual(Array.from(live.subjectIndex), [0, 1]);
  assert.deepEqual(Array.from(live.vectors.subarray(0, 16)), Array.from(probe(1)));
  assert.equal(liveGallery(g, { createdSince: -Infinity, now: 0 }), g, "all live: the same");
  assert.deepEqual(expiredFaces(g, w), [
    { subject: "ann", faceId: "a1", subjectExpired: false, wholeSubject: false },
    { subject: "bob", faceId: "b1", subjectExpired: true, wholeSubject: true },
  ]);
  assert.deepEqual(searchGallery(live, probe(2), { k: 5 }).map((c) => c.subject), [
    "ann",
    "cy",
  ]);
});

Deno.test("GalleryIndex.search() with a window never returns a face outside it", () => {
  for (const simd of [false, true]) {
    const index = GalleryIndex.build(gallery(), { simd });
    assert.equal(index.search(probe(2), 1)[0].subject, "bob");
    const w = { createdSince: 600, now: 2000 };
    const found = index.search(probe(2), 5, w);
    assert.ok(!found.some((c) => c.subject === "bob"), JSON.stringify(found));
    assert.deepEqual(index.search(probe(0), 5, w).map((c) => c.face_id), ["a2", "c1"]);
    assert.deepEqual(index.search(probe(0), 5, { createdSince: 0, now: 0 })[0].face_id, "a1");
    assert.deepEqual(index.expiredFaces(w).map((f) => f.faceId), ["a1", "b1"]);
    const all = { createdSince: Infinity, now: Infinity };
    assert.deepEqual(index.search(probe(3), 5, all), [], "nothing live: no candidates");
  }
});

Deno.test("GalleryIndex.build() refuses creation times or expiries of the wrong length", () => {
  assert.throws(
    () => GalleryIndex.build({ ...gallery(), createdAt: new Float64Array(3) }),
    RangeError,
  );
  assert.throws(
    () => GalleryIndex.build({ ...gallery(), subjectExpiresAt: new Float64Array(2) }),
    RangeError,
  );
});
