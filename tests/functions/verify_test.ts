import assert from "node:assert/strict";
import { assertProblem, json, makeApp, PHOTOS, postImage } from "./_fixtures.ts";

const { app } = makeApp();
const enrolled = await json<{ face_id: string }>(
  await app.request("/v1/collections/c/subjects/serena/faces", postImage(PHOTOS.serena1)),
  201,
);
await json(
  await app.request("/v1/collections/c/subjects/arnold/faces", postImage(PHOTOS.arnold1)),
  201,
);
const verify = (subject: string, query = "") =>
  `/v1/collections/c/subjects/${subject}/verify${query}`;

interface VerifyBody {
  subject: string;
  match: boolean;
  distance: number;
  similarity: number;
  threshold: number;
  confidence: number;
  face_id: string;
  model: string;
  box: { x: number; y: number; width: number; height: number };
}

Deno.test("POST …/verify accepts a true claim and names the nearest enrolled face", async () => {
  const body = await json<VerifyBody>(
    await app.request(verify("serena"), postImage(PHOTOS.serena2)),
  );
  assert.deepEqual(Object.keys(body).sort(), [
    "box",
    "confidence",
    "distance",
    "face_id",
    "match",
    "model",
    "similarity",
    "subject",
    "threshold",
    "threshold_source",
  ]);
  assert.equal(body.subject, "serena");
  assert.equal(body.match, true);
  assert.ok(body.box.width > 50 && body.box.x > 20 && body.box.x + body.box.width < 230);
  assert.equal(body.face_id, enrolled.face_id);
  assert.equal((body as unknown as { threshold_source: string }).threshold_source, "policy");
  assert.ok(body.confidence > 0.5);
  const health = await json<{ thresholds: { verify: number } }>(await app.request("/healthz"));
  assert.equal(body.threshold, health.thresholds.verify);
});

Deno.test("POST …/verify rejects a false claim", async () => {
  const body = await json<VerifyBody>(
    await app.request(verify("arnold"), postImage(PHOTOS.serena2)),
  );
  assert.equal(body.match, false);
  assert.ok(body.distance > body.threshold);
  assert.ok(body.confidence < 0.5);
});

Deno.test("POST …/verify applies and reports a threshold given in the query", async () => {
  const strict = await json<VerifyBody>(
    await app.request(verify("serena", "?threshold=0.1"), postImage(PHOTOS.serena2)),
  );
  assert.equal(strict.threshold, 0.1);
  assert.equal(strict.match, false);
  await assertProblem(
    await app.request(verify("serena", "?threshold=-1"), postImage(PHOTOS.serena2)),
    400,
    "invalid_request",
  );
});

Deno.test("POST …/verify answers 404 subject_not_found for a subject never enrolled", async () => {
  const body = await assertProblem(
    await app.request(verify("nobody"), postImage(PHOTOS.serena2)),
    404,
    "subject_not_found",
  );
  assert.equal(body.subject, "nobody");
  // Nothing enrolled in the collection at all: the collection is the unknown part.
  await assertProblem(
    await app.request("/v1/collections/empty/subjects/serena/verify", postImage(PHOTOS.serena2)),
    404,
    "collection_not_found",
  );
});

Deno.test("POST …/verify refuses probes without a face or with several faces under face=single", async () => {
  await assertProblem(
    await app.request(verify("serena"), postImage(PHOTOS.noFace)),
    422,
    "no_face",
  );
  await assertProblem(
    await app.request(verify("serena", "?face=single"), postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
  await assertProblem(
    await app.request(verify("serena"), postImage(PHOTOS.serena2, "image/bmp")),
    415,
    "unsupported_media_type",
  );
});
