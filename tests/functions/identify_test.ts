import assert from "node:assert/strict";
import { assertProblem, json, makeApp, PHOTOS, postImage } from "./_fixtures.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import { decodeImage } from "../../lib/image/mod.ts";
import { MAX_IDENTIFY_FACES } from "../../functions/identify.ts";
import { encodeJpeg } from "../lib/pipeline/_jpeg_encoder.ts";
import { readData } from "./_fixtures.ts";

const { app } = makeApp();
for (
  const [subject, photo] of [["serena", PHOTOS.serena1], ["arnold", PHOTOS.arnold1], [
    "arnold",
    PHOTOS.arnold2,
  ]]
) {
  await json(
    await app.request(`/v1/collections/c/subjects/${subject}/faces`, postImage(photo)),
    201,
  );
}

interface Candidate {
  subject: string;
  distance: number;
  similarity: number;
  confidence: number;
  face_id: string;
}
interface IdentifyBody {
  match: Candidate | null;
  candidates: Candidate[];
  threshold: number;
  model: string;
}

Deno.test("POST …/identify names an enrolled person, nearest candidate first", async () => {
  const body = await json<IdentifyBody>(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.serena2)),
  );
  assert.equal(body.match?.subject, "serena");
  assert.deepEqual(body.match, body.candidates[0]);
  assert.deepEqual(body.candidates.map((c) => c.subject), ["serena", "arnold"]);
  assert.ok(body.candidates[0].distance <= body.candidates[1].distance);
  const arnold = await json<IdentifyBody>(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.arnold3)),
  );
  assert.equal(arnold.match?.subject, "arnold");
});

Deno.test("POST …/identify decides at the identify threshold, stricter than verify's", async () => {
  const body = await json<IdentifyBody>(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.serena2)),
  );
  const health = await json<{ thresholds: { verify: number; identify: number } }>(
    await app.request("/healthz"),
  );
  assert.equal(body.threshold, health.thresholds.identify);
  assert.ok(body.threshold < health.thresholds.verify);
});

Deno.test("POST …/identify answers match null for a person never enrolled", async () => {
  const body = await json<IdentifyBody>(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.karzai)),
  );
  assert.equal(body.match, null);
  assert.equal(body.candidates.length, 2);
  assert.ok(body.candidates.every((c) => c.distance > body.threshold && c.confidence < 0.5));
});

Deno.test("POST …/identify limits candidates to k and refuses k outside 1..50", async () => {
  const body = await json<IdentifyBody>(
    await app.request("/v1/collections/c/identify?k=1", postImage(PHOTOS.serena2)),
  );
  assert.equal(body.candidates.length, 1);
  for (const k of ["0", "51", "two"]) {
    await assertProblem(
      await app.request(`/v1/collections/c/identify?k=${k}`, postImage(PHOTOS.serena2)),
      400,
      "invalid_request",
    );
  }
});

Deno.test("POST …/identify on an empty or unknown collection answers 404 collection_not_found", async () => {
  await assertProblem(
    await app.request("/v1/collections/empty/identify", postImage(PHOTOS.serena2)),
    404,
    "collection_not_found",
  );
});

Deno.test("POST …/identify refuses probes without a face or with several faces under face=single", async () => {
  await assertProblem(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.noFace)),
    422,
    "no_face",
  );
  await assertProblem(
    await app.request("/v1/collections/c/identify?face=single", postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
});

Deno.test("POST …/identify no longer finds a subject once it is deleted", async () => {
  const local = makeApp();
  await json(
    await local.app.request("/v1/collections/c/subjects/serena/faces", postImage(PHOTOS.serena1)),
    201,
  );
  await json(
    await local.app.request("/v1/collections/c/subjects/arnold/faces", postImage(PHOTOS.arnold1)),
    201,
  );
  assert.equal(
    (await local.app.request("/v1/collections/c/subjects/serena", { method: "DELETE" })).status,
    204,
  );
  const body = await json<IdentifyBody>(
    await local.app.request("/v1/collections/c/identify", postImage(PHOTOS.serena2)),
  );
  assert.equal(body.match, null);
  assert.ok(body.candidates.every((c) => c.subject !== "serena"));
  // Once the last subject is gone too, the collection is unknown.
  await local.app.request("/v1/collections/c/subjects/arnold", { method: "DELETE" });
  await assertProblem(
    await local.app.request("/v1/collections/c/identify", postImage(PHOTOS.serena2)),
    404,
    "collection_not_found",
  );
});

Deno.test("POST …/identify reads the gallery once per version: a warm request costs one version read", async () => {
  const store = new MemoryFaceStore();
  let galleryReads = 0;
  const read = store.gallery.bind(store);
  store.gallery = (ref) => (galleryReads++, read(ref));
  const { app: cached } = makeApp({ store });
  await json(
    await cached.request("/v1/collections/g/subjects/serena/faces", postImage(PHOTOS.serena1)),
    201,
  );
  const identify = async () =>
    (await json<IdentifyBody>(
      await cached.request("/v1/collections/g/identify", postImage(PHOTOS.arnold3)),
    )).candidates.map((c) => c.subject);
  assert.deepEqual(await identify(), ["serena"]);
  assert.deepEqual(await identify(), ["serena"]);
  assert.equal(galleryReads, 1, "the second identify used the cached index");
  await json(
    await cached.request("/v1/collections/g/subjects/arnold/faces", postImage(PHOTOS.arnold1)),
    201,
  );
  assert.deepEqual(await identify(), ["arnold", "serena"], "an enroll invalidates the cache");
  assert.equal(galleryReads, 2);
  const del = await cached.request("/v1/collections/g/subjects/arnold", { method: "DELETE" });
  assert.equal(del.status, 204);
  assert.deepEqual(await identify(), ["serena"], "a delete invalidates the cache");
  assert.equal(galleryReads, 3);
});

interface IdentifyAllBody {
  faces: {
    box: { x: number; y: number; width: number; height: number };
    match: Candidate | null;
    candidates: Candidate[];
  }[];
  detected: number;
  threshold: number;
  model: string;
}
const GROUP = "faces-misc/multi_insightface_t1.jpg";

Deno.test("POST …/identify?face=all answers every face of a group photo: the enrolled one by name, the others unknown", async () => {
  const { app } = makeApp();
  // Enroll the group's largest face, and two people from elsewhere.
  await json(
    await app.request("/v1/collections/g/subjects/front/faces?face=largest", postImage(GROUP)),
    201,
  );
  for (const [subject, photo] of [["serena", PHOTOS.serena1], ["arnold", PHOTOS.arnold1]]) {
    await json(
      await app.request(`/v1/collections/g/subjects/${subject}/faces`, postImage(photo)),
      201,
    );
  }
  const detected = await json<{ faces: { box: IdentifyAllBody["faces"][0]["box"] }[] }>(
    await app.request("/v1/detect", postImage(GROUP)),
  );
  assert.equal(detected.faces.length, 6);
  const body = await json<IdentifyAllBody>(
    await app.request("/v1/collections/g/identify?face=all&k=2", postImage(GROUP)),
  );
  assert.deepEqual(Object.keys(body).sort(), [
    "detected",
    "faces",
    "fpir",
    "model",
    "threshold",
    "threshold_source",
  ]);
  assert.equal(body.detected, 6);
  assert.equal(body.faces.length, 6, "all six faces get an answer");
  assert.deepEqual(body.faces.map((f) => f.box), detected.faces.map((f) => f.box));
  const area = (b: { width: number; height: number }) => b.width * b.height;
  const largest = body.faces.reduce((a, b) => (area(b.box) > area(a.box) ? b : a));
  for (const face of body.faces) {
    assert.equal(face.candidates.length, 2, "k applies per face");
    assert.ok(face.candidates[0].distance <= face.candidates[1].distance);
    if (face === largest) {
      assert.equal(face.match?.subject, "front");
      assert.ok(face.match!.distance <= body.threshold);
    } else {
      assert.equal(face.match, null, JSON.stringify(face.candidates[0]));
    }
  }
  // The same threshold as a single-face identify.
  const single = await json<IdentifyBody>(
    await app.request("/v1/collections/g/identify?face=largest", postImage(GROUP)),
  );
  assert.equal(single.threshold, body.threshold);
  assert.deepEqual(single.match?.subject, "front");
});

Deno.test("POST …/identify?face=all gives faces: [] for a photo without a face and 404 for an empty collection", async () => {
  const { app } = makeApp();
  await json(
    await app.request("/v1/collections/one/subjects/serena/faces", postImage(PHOTOS.serena1)),
    201,
  );
  const none = await json<IdentifyAllBody>(
    await app.request("/v1/collections/one/identify?face=all", postImage(PHOTOS.noFace)),
  );
  assert.deepEqual(none.faces, []);
  assert.equal(none.detected, 0);
  const group = await json<IdentifyAllBody>(
    await app.request("/v1/collections/one/identify?face=all", postImage(GROUP)),
  );
  assert.equal(group.faces.length, 6);
  for (const f of group.faces) assert.equal(f.match, null);
  await assertProblem(
    await app.request("/v1/collections/empty/identify?face=all", postImage(GROUP)),
    404,
    "collection_not_found",
  );
});

/** A JPEG of `n` copies of one portrait on a 5-column grid (grey where no copy goes). */
async function portraitGrid(n: number): Promise<Uint8Array<ArrayBuffer>> {
  const tile = await decodeImage(readData(PHOTOS.arnold1));
  const cols = 5, rows = Math.ceil(n / cols);
  const width = cols * tile.width, height = rows * tile.height;
  const data = new Uint8Array(width * height * 4).fill(128);
  for (let i = 0; i < n; i++) {
    const ox = (i % cols) * tile.width, oy = Math.floor(i / cols) * tile.height;
    for (let y = 0; y < tile.height; y++) {
      const from = y * tile.width * 4;
      data.set(tile.data.subarray(from, from + tile.width * 4), ((oy + y) * width + ox) * 4);
    }
  }
  return new Uint8Array(encodeJpeg({ width, height, data }, 92));
}

Deno.test("POST …/identify?face=all answers at most MAX_IDENTIFY_FACES faces: at, just under and just over the limit", async () => {
  const { app } = makeApp();
  await json(
    await app.request("/v1/collections/grid/subjects/serena/faces", postImage(PHOTOS.serena1)),
    201,
  );
  for (const n of [MAX_IDENTIFY_FACES - 1, MAX_IDENTIFY_FACES, MAX_IDENTIFY_FACES + 1]) {
    const body = await json<IdentifyAllBody>(
      await app.request("/v1/collections/grid/identify?face=all", {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: await portraitGrid(n),
      }),
    );
    assert.equal(body.detected, n, `${n} portraits`);
    assert.equal(body.faces.length, Math.min(n, MAX_IDENTIFY_FACES), `${n} portraits`);
  }
});
