import assert from "node:assert/strict";
import type { Gallery } from "../../../lib/store/faces/face_store.ts";
import { type MatchStrategy, scoreSubject, searchGallery } from "../../../lib/match/mod.ts";
import { randomUnitVectors, seededRandom } from "./_random.ts";

/** A 2-d gallery: ada has one face at 0°, bob faces at 90° and 36.87°, cy one face at 180°. */
function smallGallery(): Gallery {
  return {
    dim: 2,
    subjects: ["ada", "bob", "cy"],
    subjectIndex: new Int32Array([1, 0, 2, 1]),
    faceIds: ["b1", "a1", "c1", "b2"],
    vectors: new Float32Array([0, 1, 1, 0, -1, 0, 0.8, 0.6]),
  };
}

const STRATEGIES: MatchStrategy[] = ["nearest", "mean", "top2"];

Deno.test("searchGallery() returns one candidate per subject, nearest first", () => {
  const result = searchGallery(smallGallery(), new Float32Array([0.6, 0.8]));
  assert.deepEqual(result.map((c) => c.subject), ["bob", "ada", "cy"]);
  assert.equal(result[0].face_id, "b2");
  assert.ok(Math.abs(result[0].distance - Math.sqrt(2 - 2 * 0.96)) < 1e-6);
  assert.equal(result[2].face_id, "c1");
});

Deno.test("searchGallery() reports similarity as 1 − d²/2, the cosine for unit vectors", () => {
  for (const strategy of STRATEGIES) {
    for (const c of searchGallery(smallGallery(), new Float32Array([0.6, 0.8]), { strategy })) {
      assert.ok(Math.abs(c.similarity - (1 - c.distance ** 2 / 2)) < 1e-15);
    }
  }
  const [ada] = searchGallery(smallGallery(), new Float32Array([1, 0]), { k: 1 });
  assert.deepEqual(ada, { subject: "ada", distance: 0, similarity: 1, face_id: "a1" });
});

Deno.test("searchGallery() returns at most k candidates", () => {
  const probe = new Float32Array([1, 0]);
  assert.deepEqual(searchGallery(smallGallery(), probe, { k: 2 }).map((c) => c.subject), [
    "ada",
    "bob",
  ]);
  assert.equal(searchGallery(smallGallery(), probe, { k: 10 }).length, 3);
});

Deno.test("searchGallery() names the subject's nearest face under every strategy", () => {
  for (const strategy of STRATEGIES) {
    const result = searchGallery(smallGallery(), new Float32Array([0, 1]), { strategy });
    assert.equal(result.find((c) => c.subject === "bob")?.face_id, "b1");
  }
});

Deno.test("searchGallery() with mean and top2 can rank subjects differently from nearest", () => {
  // bob's nearest face is as close as ada's only face, but his other face is far.
  const gallery: Gallery = {
    dim: 2,
    subjects: ["ada", "bob"],
    subjectIndex: new Int32Array([0, 1, 1]),
    faceIds: ["a1", "b1", "b2"],
    vectors: new Float32Array([0.8, 0.6, 0.8, -0.6, -1, 0]),
  };
  const probe = new Float32Array([1, 0]);
  assert.deepEqual(searchGallery(gallery, probe).map((c) => c.subject), ["ada", "bob"]);
  assert.equal(
    searchGallery(gallery, probe)[0].distance,
    searchGallery(gallery, probe)[1].distance,
  );
  for (const strategy of ["mean", "top2"] as const) {
    const [first, second] = searchGallery(gallery, probe, { strategy });
    assert.equal(first.subject, "ada");
    assert.ok(second.distance > first.distance + 0.3);
  }
});

Deno.test("searchGallery() breaks distance ties by subject name", () => {
  const gallery: Gallery = {
    dim: 2,
    subjects: ["zed", "amy", "max"],
    subjectIndex: new Int32Array([0, 1, 2]),
    faceIds: ["z", "a", "m"],
    vectors: new Float32Array([0, 1, 0, 1, 0, 1]),
  };
  const result = searchGallery(gallery, new Float32Array([1, 0]), { k: 2 });
  assert.deepEqual(result.map((c) => c.subject), ["amy", "max"]);
});

Deno.test("searchGallery() scores every subject exactly as scoreSubject() does", () => {
  const random = seededRandom(21);
  const n = 600, dim = 64, s = 80;
  const vectors = randomUnitVectors(n, dim, random);
  const subjectIndex = Int32Array.from({ length: n }, () => Math.floor(random() * s));
  const gallery: Gallery = {
    dim,
    subjects: Array.from({ length: s }, (_, i) => `s${i}`),
    subjectIndex,
    faceIds: Array.from({ length: n }, (_, i) => `f${i}`),
    vectors,
  };
  const probe = randomUnitVectors(1, dim, random);
  for (const strategy of STRATEGIES) {
    const expected = [];
    for (let si = 0; si < s; si++) {
      const rows = [...subjectIndex.keys()].filter((i) => subjectIndex[i] === si);
      if (rows.length === 0) continue;
      const faces = rows.map((i) => vectors.subarray(i * dim, (i + 1) * dim));
      const { distance, faceIndex } = scoreSubject(faces, probe, strategy);
      expected.push({
        subject: `s${si}`,
        distance,
        similarity: 1 - distance * distance / 2,
        face_id: `f${rows[faceIndex]}`,
      });
    }
    expected.sort((a, b) => a.distance - b.distance || (a.subject < b.subject ? -1 : 1));
    assert.deepEqual(searchGallery(gallery, probe, { strategy, k: s }), expected);
    // The bounded-heap selection gives the same prefix as a full sort.
    assert.deepEqual(searchGallery(gallery, probe, { strategy, k: 7 }), expected.slice(0, 7));
  }
});

Deno.test("searchGallery() returns nothing for an empty gallery and skips subjects without faces", () => {
  const empty: Gallery = {
    dim: 2,
    subjects: [],
    subjectIndex: new Int32Array(0),
    faceIds: [],
    vectors: new Float32Array(0),
  };
  assert.deepEqual(searchGallery(empty, new Float32Array([1, 0])), []);
  const sparse: Gallery = { ...smallGallery(), subjects: ["ada", "bob", "cy", "dee"] };
  for (const strategy of STRATEGIES) {
    const result = searchGallery(sparse, new Float32Array([1, 0]), { strategy, k: 10 });
    assert.deepEqual(result.map((c) => c.subject).sort(), ["ada", "bob", "cy"]);
  }
});

Deno.test("searchGallery() throws RangeError for bad options, probe or gallery", () => {
  const g = smallGallery();
  const probe = new Float32Array([1, 0]);
  for (const k of [0, -1, 1.5, NaN]) {
    assert.throws(() => searchGallery(g, probe, { k }), RangeError);
  }
  // deno-lint-ignore no-explicit-any
  assert.throws(() => searchGallery(g, probe, { strategy: "max" as any }), RangeError);
  assert.throws(() => searchGallery(g, new Float32Array(3)), {
    name: "RangeError",
    message: "Cannot search gallery: probe has dimension 3, gallery 2",
  });
  assert.throws(() => searchGallery({ ...g, vectors: new Float32Array(6) }, probe), RangeError);
  assert.throws(() => searchGallery({ ...g, subjectIndex: new Int32Array(3) }, probe), RangeError);
  assert.throws(
    () => searchGallery({ ...g, subjectIndex: new Int32Array([0, 1, 2, 3]) }, probe),
    RangeError,
  );
});

Deno.test("searchGallery() finds a planted face among 100k random 512-d faces", () => {
  const random = seededRandom(42);
  const n = 100_000, dim = 512, s = 25_000, planted = 73_421;
  const vectors = randomUnitVectors(n, dim, random);
  const subjectIndex = Int32Array.from({ length: n }, (_, i) => i % s);
  const gallery: Gallery = {
    dim,
    subjects: Array.from({ length: s }, (_, i) => `subject-${i}`),
    subjectIndex,
    faceIds: Array.from({ length: n }, (_, i) => `face-${i}`),
    vectors,
  };
  const probe = new Float32Array(dim);
  for (let j = 0; j < dim; j++) probe[j] = vectors[planted * dim + j] + (random() - 0.5) * 0.002;
  let norm = 0;
  for (let j = 0; j < dim; j++) norm += probe[j] * probe[j];
  for (let j = 0; j < dim; j++) probe[j] /= Math.sqrt(norm);

  for (const strategy of STRATEGIES) {
    const result = searchGallery(gallery, probe, { k: 5, strategy });
    assert.equal(result.length, 5);
    assert.equal(result[0].subject, `subject-${planted % s}`);
    assert.equal(result[0].face_id, `face-${planted}`);
    for (let i = 1; i < 5; i++) assert.ok(result[i].distance >= result[i - 1].distance);
  }
  const [best, second] = searchGallery(gallery, probe);
  assert.ok(best.distance < 0.05);
  assert.ok(second.distance > 1);
});
