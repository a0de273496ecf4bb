import assert from "node:assert/strict";
import { defaultRecipe } from "../../models/manifest.ts";
import {
  assertProblem,
  base64,
  json,
  makeApp,
  PHOTOS,
  postImage,
  postJson,
  readData,
} from "./_fixtures.ts";

const faces = (c: string, s: string) => `/v1/collections/${c}/subjects/${s}/faces`;

interface EnrollBody {
  subject: string;
  face_id: string;
  quality: { score: number };
  created_at: string;
}

Deno.test("POST …/faces enrolls a face and answers 201 with its id, quality and Location", async () => {
  const { app, store } = makeApp();
  const res = await app.request(faces("staff", "serena"), postImage(PHOTOS.serena1));
  assert.equal(res.headers.get("location"), "/v1/collections/staff/subjects/serena");
  const body = await json<EnrollBody>(res, 201);
  assert.equal(body.subject, "serena");
  assert.match(body.face_id, /^[A-Za-z0-9_-]+$/);
  assert.ok(body.quality.score > 0.5);
  const gallery = await store.gallery({
    model: defaultRecipe().id,
    collection: "staff",
  });
  assert.deepEqual(gallery.faceIds, [body.face_id]);
});

Deno.test("GET …/subjects/{subject} lists faces with metadata and never embeddings", async () => {
  const { app } = makeApp();
  const first = await json<EnrollBody>(
    await app.request(
      faces("staff", "serena"),
      postJson({ image: base64(readData(PHOTOS.serena1)), metadata: { badge: 7 } }),
    ),
    201,
  );
  const form = new FormData();
  form.append("image", new Blob([readData(PHOTOS.serena2)]));
  form.append("metadata", JSON.stringify({ source: "form" }));
  await json(await app.request(faces("staff", "serena"), { method: "POST", body: form }), 201);
  const subject = await json<Record<string, unknown>>(
    await app.request("/v1/collections/staff/subjects/serena"),
  );
  assert.equal(subject.subject, "serena");
  assert.equal(subject.face_count, 2);
  const list = subject.faces as Record<string, unknown>[];
  assert.deepEqual(list.map((f) => f.metadata), [{ badge: 7 }, { source: "form" }]);
  assert.equal(list[0].face_id, first.face_id);
  assert.ok(!JSON.stringify(subject).includes("embedding"));
});

Deno.test("POST …/faces refuses metadata that is not a JSON object with 400", async () => {
  const { app } = makeApp();
  const image = base64(readData(PHOTOS.serena1));
  for (const metadata of [[1], "text", 5]) {
    const body = await assertProblem(
      await app.request(faces("c", "s"), postJson({ image, metadata })),
      400,
      "invalid_request",
    );
    assert.equal(body.field, "metadata");
  }
  const form = new FormData();
  form.append("image", new Blob([readData(PHOTOS.serena1)]));
  form.append("metadata", "{not json");
  await assertProblem(
    await app.request(faces("c", "s"), { method: "POST", body: form }),
    400,
    "invalid_request",
  );
});

Deno.test("POST …/faces refuses a face failing the quality gate with 422 low_quality and the reasons", async () => {
  const { app } = makeApp();
  const body = await assertProblem(
    await app.request(faces("c", "s"), postImage(PHOTOS.profile)),
    422,
    "low_quality",
  );
  const reasons = body.reasons as string[];
  assert.ok(reasons.length > 0 && reasons.some((r) => /turned/.test(r)), reasons.join());
  assert.equal(typeof (body.quality as { score: number }).score, "number");
  await assertProblem(await app.request("/v1/collections/c/subjects/s"), 404, "subject_not_found");
});

Deno.test("POST …/faces refuses a group photo unless face=largest or face=center picks one", async () => {
  const { app } = makeApp();
  await assertProblem(
    await app.request(faces("c", "s"), postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
  await assertProblem(
    await app.request(`${faces("c", "s")}?face=single`, postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
  await json(await app.request(`${faces("c", "s")}?face=largest`, postImage(PHOTOS.multi)), 201);
  await assertProblem(
    await app.request(`${faces("c", "s")}?face=all`, postImage(PHOTOS.multi)),
    400,
    "invalid_request",
  );
});

Deno.test("POST …/faces refuses a photo without a face with 422 no_face", async () => {
  const { app } = makeApp();
  await assertProblem(await app.request(faces("c", "s"), postImage(PHOTOS.noFace)), 422, "no_face");
});

Deno.test("collection and subject names are validated before any work (400 invalid_request)", async () => {
  const { app } = makeApp();
  const long = "x".repeat(129);
  for (
    const path of [
      faces("bad%20name", "s"),
      faces("c", "a:b"),
      faces(long, "s"),
      faces("c", "%7Bx%7D"),
    ]
  ) {
    await assertProblem(await app.request(path, postImage(PHOTOS.serena1)), 400, "invalid_request");
  }
  await assertProblem(await app.request("/v1/collections/a%3Ab/subjects"), 400, "invalid_request");
  await assertProblem(
    await app.request("/v1/collections/a%3Ab/identify", postImage(PHOTOS.serena1)),
    400,
    "invalid_request",
  );
  await assertProblem(
    await app.request("/v1/collections/c/subjects/s/faces/bad%20id", { method: "DELETE" }),
    400,
    "invalid_request",
  );
});

Deno.test("GET …/subjects pages through subjects in name order with limit and cursor", async () => {
  const { app } = makeApp();
  for (const s of ["carol", "alice", "bob"]) {
    await json(await app.request(faces("c", s), postImage(PHOTOS.serena1)), 201);
  }
  type Page = { subjects: { subject: string; face_count: number }[]; next_cursor: string | null };
  const first = await json<Page>(await app.request("/v1/collections/c/subjects?limit=2"));
  assert.deepEqual(first.subjects.map((s) => s.subject), ["alice", "bob"]);
  assert.equal(first.subjects[0].face_count, 1);
  assert.ok(first.next_cursor);
  const second = await json<Page>(
    await app.request(`/v1/collections/c/subjects?limit=2&cursor=${first.next_cursor}`),
  );
  assert.deepEqual(second.subjects.map((s) => s.subject), ["carol"]);
  assert.equal(second.next_cursor, null);
  const empty = await json<Page>(await app.request("/v1/collections/other/subjects"));
  assert.deepEqual(empty, { subjects: [], next_cursor: null });
  for (const q of ["limit=0", "limit=1001", "limit=x", "cursor=garbage"]) {
    await assertProblem(
      await app.request(`/v1/collections/c/subjects?${q}`),
      400,
      "invalid_request",
    );
  }
});

Deno.test("DELETE removes faces, subjects and collections, and answers 404 for what is gone", async () => {
  const { app } = makeApp();
  const a = await json<EnrollBody>(
    await app.request(faces("c", "serena"), postImage(PHOTOS.serena1)),
    201,
  );
  const b = await json<EnrollBody>(
    await app.request(faces("c", "serena"), postImage(PHOTOS.serena2)),
    201,
  );
  await json(await app.request(faces("c", "arnold"), postImage(PHOTOS.arnold1)), 201);

  const del = await app.request(`/v1/collections/c/subjects/serena/faces/${a.face_id}`, {
    method: "DELETE",
  });
  assert.equal(del.status, 204);
  await assertProblem(
    await app.request(`/v1/collections/c/subjects/serena/faces/${a.face_id}`, { method: "DELETE" }),
    404,
    "face_not_found",
  );
  const left = await json<{ faces: { face_id: string }[] }>(
    await app.request("/v1/collections/c/subjects/serena"),
  );
  assert.deepEqual(left.faces.map((f) => f.face_id), [b.face_id]);

  assert.equal(
    (await app.request("/v1/collections/c/subjects/serena", { method: "DELETE" })).status,
    204,
  );
  await assertProblem(
    await app.request("/v1/collections/c/subjects/serena", { method: "DELETE" }),
    404,
    "subject_not_found",
  );
  await assertProblem(
    await app.request("/v1/collections/c/subjects/serena"),
    404,
    "subject_not_found",
  );

  const gone = await json(await app.request("/v1/collections/c", { method: "DELETE" }));
  assert.deepEqual(gone, { collection: "c", deleted_faces: 1 });
  await assertProblem(
    await app.request("/v1/collections/c", { method: "DELETE" }),
    404,
    "not_found",
  );
});

/** A unit vector for store-level fixtures (no model run). */
function unit(seed: number): Float32Array {
  const v = new Float32Array(512).map((_, i) => Math.sin(seed * 7.1 + i));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

Deno.test("GET /v1/collections lists every collection with its subject and face counts, recipe and policy", async () => {
  const { app, store } = makeApp();
  const empty = await json<{ collections: unknown[] }>(await app.request("/v1/collections"));
  assert.deepEqual(empty, { collections: [] });
  const model = defaultRecipe().id;
  for (
    const [collection, subject, n] of [["staff", "ann", 2], ["staff", "bob", 1], [
      "gate",
      "cy",
      1,
    ]] as const
  ) {
    for (let i = 0; i < n; i++) {
      await store.addFace({ model, collection }, subject, { embedding: unit(i), quality: 0.9 });
    }
  }
  await json(
    await app.request(
      "/v1/collections/staff/policy",
      {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ verify: { far: "1e-4" }, retention: { days: 30 } }),
      },
    ),
  );
  const res = await app.request("/v1/collections");
  assert.equal(res.headers.get("content-type"), "application/json");
  const body = await json<{ collections: Record<string, unknown>[] }>(res);
  assert.deepEqual(body.collections.map((c) => [c.collection, c.subjects, c.faces, c.recipe]), [
    ["gate", 1, 1, model],
    ["staff", 2, 3, model],
  ]);
  const staff = body.collections[1].policy as Record<string, Record<string, unknown>>;
  assert.equal(staff.verify.source, "policy");
  assert.equal(staff.verify.far, "1e-4");
  assert.equal(staff.identify.source, "default");
  assert.deepEqual(staff.retention, { days: 30 });
  const gate = body.collections[0].policy as Record<string, unknown>;
  assert.equal(gate.retention, null);
  assert.equal(gate.updated_at, null);
});

Deno.test("enroll refuses non-human faces with face=largest: the dog collage and the cartoon are 422 low_quality with the reason", async () => {
  const { app, store } = makeApp();
  for (
    const [photo, reason] of [
      [
        "faces-misc/noface_dlib_dogs.jpg",
        /^not a human face: .*embedding norm .* as for an animal$/,
      ],
      ["faces-misc/quality_insightface_cartoon.jpg", /^not a photo of a human face: .*drawing/],
    ] as const
  ) {
    for (const face of ["largest", "primary", "center"]) {
      const res = await app.request(`${faces("pets", "rex")}?face=${face}`, postImage(photo));
      const body = await assertProblem(res, 422, "low_quality");
      const reasons = body.reasons as string[];
      assert.ok(reasons.some((r) => reason.test(r)), `${photo} ${face}: ${reasons}`);
    }
  }
  assert.deepEqual(await store.listCollections(), []);
  // A human photo of faces-misc still enrolls.
  await json(await app.request(faces("pets", "obama"), postImage(PHOTOS.png)), 201);
});
