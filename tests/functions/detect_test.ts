import assert from "node:assert/strict";
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

interface DetectBody {
  width: number;
  height: number;
  faces: {
    box: { width: number };
    score: number;
    landmarks: number[][];
    quality: { score: number };
  }[];
  timings: Record<string, number>;
}

Deno.test("POST /v1/detect returns the box, five landmarks and quality of a face in a raw JPEG", async () => {
  const body = await json<DetectBody>(await app.request("/v1/detect", postImage(PHOTOS.arnold1)));
  assert.equal(body.width, 250);
  assert.equal(body.height, 250);
  assert.equal(body.faces.length, 1);
  const [face] = body.faces;
  assert.ok(face.box.width > 40);
  assert.ok(face.score > 0.9);
  assert.equal(face.landmarks.length, 5);
  assert.ok(face.quality.score > 0);
  assert.equal(typeof body.timings.total, "number");
  assert.equal("embedding" in face, false);
});

Deno.test("POST /v1/detect accepts PNG, octet-stream, multipart, JSON base64 and data URLs alike", async () => {
  const png = await json<DetectBody>(
    await app.request("/v1/detect", postImage(PHOTOS.png, "image/png")),
  );
  assert.equal(png.faces.length, 1);
  const octet = await json<DetectBody>(
    await app.request("/v1/detect", postImage(PHOTOS.arnold1, "application/octet-stream")),
  );
  const form = new FormData();
  form.append("image", new Blob([readData(PHOTOS.arnold1)], { type: "image/jpeg" }), "a.jpg");
  const multipart = await json<DetectBody>(
    await app.request("/v1/detect", { method: "POST", body: form }),
  );
  const b64 = base64(readData(PHOTOS.arnold1));
  const fromJson = await json<DetectBody>(
    await app.request("/v1/detect", postJson({ image: b64 })),
  );
  const dataUrl = await json<DetectBody>(
    await app.request("/v1/detect", postJson({ image: `data:image/jpeg;base64,${b64}` })),
  );
  for (const b of [multipart, fromJson, dataUrl]) assert.deepEqual(b.faces, octet.faces);
});

Deno.test("POST /v1/detect returns no faces for a landscape and every face of a group photo", async () => {
  const none = await json<DetectBody>(await app.request("/v1/detect", postImage(PHOTOS.noFace)));
  assert.deepEqual(none.faces, []);
  const group = await json<DetectBody>(await app.request("/v1/detect", postImage(PHOTOS.multi)));
  assert.equal(group.faces.length, 6);
  const largest = await json<DetectBody>(
    await app.request("/v1/detect?face=largest", postImage(PHOTOS.multi)),
  );
  assert.equal(largest.faces.length, 1);
});

Deno.test("POST /v1/detect refuses several faces with face=single (422 multiple_faces)", async () => {
  const body = await assertProblem(
    await app.request("/v1/detect?face=single", postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
  assert.equal(body.faces, 6);
});

Deno.test("POST /v1/detect refuses a wrong or missing content type with 415", async () => {
  await assertProblem(
    await app.request("/v1/detect", postImage(PHOTOS.arnold1, "text/plain")),
    415,
    "unsupported_media_type",
  );
  await assertProblem(
    await app.request("/v1/detect", postImage(PHOTOS.arnold1, "image/bmp")),
    415,
    "unsupported_media_type",
  );
  const untyped = await app.request("/v1/detect", {
    method: "POST",
    body: readData(PHOTOS.arnold1),
  });
  await assertProblem(untyped, 415, "unsupported_media_type");
  await assertProblem(
    await app.request("/v1/detect", postJson({ image: "data:image/bmp;base64,Qk0=" })),
    415,
    "unsupported_media_type",
  );
});

Deno.test("POST /v1/detect refuses a BMP sent as octet-stream with 415 from the decoder", async () => {
  const bmp = new TextEncoder().encode("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00");
  await assertProblem(
    await app.request("/v1/detect", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: bmp,
    }),
    415,
    "unsupported_media_type",
  );
});

Deno.test("POST /v1/detect refuses empty bodies, bad JSON and bad base64 with 400 invalid_request", async () => {
  const empty = {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: new Uint8Array(),
  };
  await assertProblem(await app.request("/v1/detect", empty), 400, "invalid_request");
  await assertProblem(await app.request("/v1/detect", { method: "POST" }), 400, "invalid_request");
  await assertProblem(
    await app.request("/v1/detect", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    }),
    400,
    "invalid_request",
  );
  await assertProblem(await app.request("/v1/detect", postJson([1])), 400, "invalid_request");
  const missing = await assertProblem(
    await app.request("/v1/detect", postJson({ img: "x" })),
    400,
    "invalid_request",
  );
  assert.equal(missing.field, "image");
  const bad = await assertProblem(
    await app.request("/v1/detect", postJson({ image: "%%%not-base64" })),
    400,
    "invalid_request",
  );
  assert.equal(bad.field, "image");
  await assertProblem(
    await app.request("/v1/detect", postJson({ image: 42 })),
    400,
    "invalid_request",
  );
  const form = new FormData();
  form.append("picture", new Blob([readData(PHOTOS.arnold1)]));
  await assertProblem(
    await app.request("/v1/detect", { method: "POST", body: form }),
    400,
    "invalid_request",
  );
  await assertProblem(
    await app.request("/v1/detect?face=biggest", postImage(PHOTOS.arnold1)),
    400,
    "invalid_request",
  );
});

Deno.test("POST /v1/detect refuses corrupt and truncated images with 400 invalid_image", async () => {
  const jpeg = readData(PHOTOS.arnold1);
  const truncated = jpeg.slice(0, Math.floor(jpeg.length / 3));
  const corrupt = new Uint8Array(jpeg.length).fill(0x5a);
  for (const body of [truncated, corrupt]) {
    await assertProblem(
      await app.request("/v1/detect", {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body,
      }),
      400,
      "invalid_image",
    );
  }
});

Deno.test("POST /v1/detect refuses an image above FACEGATE_MAX_PIXELS with 413 image_too_large", async () => {
  const small = makeApp({ env: { FACEGATE_MAX_PIXELS: "10000" } });
  await assertProblem(
    await small.app.request("/v1/detect", postImage(PHOTOS.arnold1)),
    413,
    "image_too_large",
  );
});
