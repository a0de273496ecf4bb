import assert from "node:assert/strict";
import { defaultRecipe } from "../../models/manifest.ts";
import { assertProblem, json, makeApp, PHOTOS, postImage } from "./_fixtures.ts";

const { app } = makeApp();

interface EmbedBody {
  model: string;
  dim: number;
  faces: { box: { x: number }; embedding: number[] }[];
}

Deno.test("POST /v1/embed returns one unit-length embedding of the model's dimension", async () => {
  const body = await json<EmbedBody>(await app.request("/v1/embed", postImage(PHOTOS.serena1)));
  assert.equal(body.model, defaultRecipe().id);
  assert.equal(body.dim, 512);
  assert.equal(body.faces.length, 1);
  const e = body.faces[0].embedding;
  assert.equal(e.length, 512);
  assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-4);
});

Deno.test("POST /v1/embed embeds the largest face by default and every face with face=all", async () => {
  const largest = await json<EmbedBody>(await app.request("/v1/embed", postImage(PHOTOS.multi)));
  assert.equal(largest.faces.length, 1);
  const all = await json<EmbedBody>(
    await app.request("/v1/embed?face=all", postImage(PHOTOS.multi)),
  );
  assert.equal(all.faces.length, 6);
  // The chosen face is one of them (boxes may be refined by a few pixels when one face is chosen).
  assert.ok(all.faces.some((f) => Math.abs(f.box.x - largest.faces[0].box.x) < 5));
});

Deno.test("POST /v1/embed refuses a photo without a face with 422 no_face", async () => {
  await assertProblem(await app.request("/v1/embed", postImage(PHOTOS.noFace)), 422, "no_face");
});

Deno.test("POST /v1/embed refuses a group photo with face=single with 422 multiple_faces", async () => {
  await assertProblem(
    await app.request("/v1/embed?face=single", postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
});
