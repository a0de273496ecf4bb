import assert from "node:assert/strict";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
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

const { app } = makeApp();

interface CompareBody {
  match: boolean;
  distance: number;
  similarity: number;
  threshold: number;
  confidence: number;
  model: string;
  boxes: Record<"a" | "b", { x: number; y: number; width: number; height: number }>;
}

function pair(a: string, b: string, extra: Record<string, string> = {}): RequestInit {
  const form = new FormData();
  form.append("a", new Blob([readData(a)], { type: "image/jpeg" }), "a.jpg");
  form.append("b", new Blob([readData(b)], { type: "image/jpeg" }), "b.jpg");
  for (const [k, v] of Object.entries(extra)) form.append(k, v);
  return { method: "POST", body: form };
}

Deno.test("POST /v1/compare matches two photos of one person at the verify threshold", async () => {
  const body = await json<CompareBody>(
    await app.request("/v1/compare", pair(PHOTOS.serena1, PHOTOS.serena2)),
  );
  assert.deepEqual(Object.keys(body).sort(), [
    "boxes",
    "confidence",
    "distance",
    "match",
    "model",
    "similarity",
    "threshold",
    "threshold_source",
  ]);
  assert.equal(body.match, true);
  // The compared face of each photo, in its pixels (250×250 LFW crops: the face is central).
  for (const side of ["a", "b"] as const) {
    const b = body.boxes[side];
    assert.ok(b.width > 50 && b.x > 20 && b.x + b.width < 230, JSON.stringify(b));
  }
  assert.ok(body.distance <= body.threshold);
  assert.ok(body.confidence > 0.5);
  // Both are rounded to 4 decimals.
  assert.ok(Math.abs(body.similarity - (1 - body.distance ** 2 / 2)) < 2e-4);
  const health = await json<{ thresholds: { verify: number } }>(await app.request("/healthz"));
  assert.equal(body.threshold, health.thresholds.verify);
  assert.equal(body.model, defaultRecipe().id);
});

Deno.test("POST /v1/compare does not match two different people", async () => {
  const body = await json<CompareBody>(
    await app.request("/v1/compare", pair(PHOTOS.serena1, PHOTOS.arnold1)),
  );
  assert.equal(body.match, false);
  assert.ok(body.confidence < 0.5);
});

Deno.test("POST /v1/compare accepts JSON base64 and applies and reports an explicit threshold", async () => {
  const res = await app.request(
    "/v1/compare?threshold=0.2",
    postJson({ a: base64(readData(PHOTOS.serena1)), b: base64(readData(PHOTOS.serena2)) }),
  );
  const body = await json<CompareBody>(res);
  assert.equal(body.threshold, 0.2);
  assert.equal(body.match, false);
  const viaBody = await json<CompareBody>(
    await app.request("/v1/compare", pair(PHOTOS.serena1, PHOTOS.serena2, { threshold: "1.9" })),
  );
  assert.equal(viaBody.threshold, 1.9);
});

Deno.test("POST /v1/compare uses the manifest's calibrated threshold for a far preset", async () => {
  // One recipe (no registry): the embedder entry's thresholds are the ones in force.
  const manifest = {
    ...MODEL_MANIFEST,
    recipes: undefined,
    embedder: {
      ...MODEL_MANIFEST.embedder,
      thresholds: { verify: 1.1, identify: 1, far: { "1e-3": 0.95 } },
    },
  };
  const calibrated = makeApp({ manifest });
  const body = await json<CompareBody>(
    await calibrated.app.request("/v1/compare?far=1e-3", pair(PHOTOS.serena1, PHOTOS.serena2)),
  );
  assert.equal(body.threshold, 0.95);
  const plain = await json<CompareBody>(
    await calibrated.app.request("/v1/compare", pair(PHOTOS.serena1, PHOTOS.serena2)),
  );
  assert.equal(plain.threshold, 1.1);
  await assertProblem(
    await calibrated.app.request("/v1/compare?far=1e-4", pair(PHOTOS.serena1, PHOTOS.serena2)),
    400,
    "invalid_request",
  );
});

Deno.test("POST /v1/compare refuses bad thresholds with 400 invalid_request", async () => {
  for (
    const q of ["threshold=0", "threshold=2.01", "threshold=x", "threshold=1&far=1e-2", "far=0.5"]
  ) {
    await assertProblem(
      await app.request(`/v1/compare?${q}`, pair(PHOTOS.serena1, PHOTOS.serena2)),
      400,
      "invalid_request",
    );
  }
});

Deno.test("POST /v1/compare refuses a raw body, a missing image and a faceless image, naming the field", async () => {
  await assertProblem(
    await app.request("/v1/compare", postImage(PHOTOS.serena1)),
    415,
    "unsupported_media_type",
  );
  const missing = await assertProblem(
    await app.request("/v1/compare", postJson({ a: base64(readData(PHOTOS.serena1)) })),
    400,
    "invalid_request",
  );
  assert.equal(missing.field, "b");
  const noFace = await assertProblem(
    await app.request("/v1/compare", pair(PHOTOS.serena1, PHOTOS.noFace)),
    422,
    "no_face",
  );
  assert.equal(noFace.field, "b");
  const multi = await assertProblem(
    await app.request("/v1/compare?face=single", pair(PHOTOS.multi, PHOTOS.serena1)),
    422,
    "multiple_faces",
  );
  assert.equal(multi.field, "a");
});
