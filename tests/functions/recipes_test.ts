import assert from "node:assert/strict";
import { json, makeApp, PHOTOS, postImage, readData, sessions } from "./_fixtures.ts";
import { analyzeImage } from "../../lib/pipeline/mod.ts";
import { l2Distance } from "../../lib/match/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";

const V1 = MODEL_MANIFEST.embedder.id;
const V2 = defaultRecipe().id;

async function embedding(relative: string, flip: boolean): Promise<Float32Array> {
  const a = await analyzeImage({ sessions }, readData(relative), { select: "largest", flip });
  return a.faces[0].embedding!;
}

Deno.test("the default recipe of new collections is not v1 (flip averaging)", () => {
  assert.notEqual(V2, V1);
  assert.equal(defaultRecipe().flip, false);
});

Deno.test("a collection created with the v1 recipe is enrolled, verified and identified with v1 only", async () => {
  const { app, store } = makeApp();
  const v1 = await embedding(PHOTOS.serena1, true);
  const v2 = await embedding(PHOTOS.serena1, false);
  // The recipes give different embeddings of the same photo: a mixed-up probe would show.
  assert.ok(l2Distance(v1, v2) > 0.01, `${l2Distance(v1, v2)}`);
  await store.addFace({ model: V1, collection: "legacy" }, "serena", { embedding: v1, quality: 1 });

  const verified = await json<{ model: string; distance: number; match: boolean }>(
    await app.request("/v1/collections/legacy/subjects/serena/verify", postImage(PHOTOS.serena1)),
  );
  assert.equal(verified.model, V1);
  assert.ok(verified.distance < 2e-3, `distance ${verified.distance}`);
  assert.equal(verified.match, true);

  const identified = await json<{ model: string; match: { subject: string; distance: number } }>(
    await app.request("/v1/collections/legacy/identify", postImage(PHOTOS.serena1)),
  );
  assert.equal(identified.model, V1);
  assert.equal(identified.match.subject, "serena");
  assert.ok(identified.match.distance < 0.01, `distance ${identified.match.distance}`);

  // A new face joins the collection's recipe, never the default one.
  const enrolled = await app.request(
    "/v1/collections/legacy/subjects/serena/faces",
    postImage(PHOTOS.serena2),
  );
  assert.equal(enrolled.status, 201, await enrolled.clone().text());
  assert.equal(
    (await store.getSubject({ model: V1, collection: "legacy" }, "serena"))!.faces.length,
    2,
  );
  assert.equal(await store.getSubject({ model: V2, collection: "legacy" }, "serena"), null);
  const stored = (await store.getSubject({ model: V1, collection: "legacy" }, "serena"))!.faces;
  const serena2 = await embedding(PHOTOS.serena2, true);
  assert.ok(stored.some((f) => l2Distance(f.embedding, serena2) < 1e-4));
});

Deno.test("a new collection gets the default recipe and is probed with it", async () => {
  const { app, store } = makeApp();
  const enrolled = await app.request(
    "/v1/collections/fresh/subjects/serena/faces",
    postImage(PHOTOS.serena1),
  );
  assert.equal(enrolled.status, 201, await enrolled.clone().text());
  const [face] = (await store.getSubject({ model: V2, collection: "fresh" }, "serena"))!.faces;
  assert.equal(await store.getSubject({ model: V1, collection: "fresh" }, "serena"), null);
  assert.ok(l2Distance(face.embedding, await embedding(PHOTOS.serena1, false)) < 1e-4);
  const verified = await json<{ model: string; distance: number }>(
    await app.request("/v1/collections/fresh/subjects/serena/verify", postImage(PHOTOS.serena1)),
  );
  assert.equal(verified.model, V2);
  assert.ok(verified.distance < 2e-3, `distance ${verified.distance}`);
});

Deno.test("a collection on the default recipe is looked up once per isolate; a v1 one every time, so it comes back on v2 after its deletion", async () => {
  const { app, store } = makeApp();
  const lookups: string[] = [];
  const list = store.listSubjects.bind(store);
  store.listSubjects = (ref, options) => {
    lookups.push(ref.model);
    return list(ref, options);
  };
  const enroll = (collection: string, photo: string) =>
    app.request(`/v1/collections/${collection}/subjects/serena/faces`, postImage(photo));
  const verify = (collection: string) =>
    app.request(`/v1/collections/${collection}/subjects/serena/verify`, postImage(PHOTOS.serena2));

  // v2: the lookups of the first enroll (empty: default first, then v1) and one that finds it.
  assert.equal((await enroll("cached", PHOTOS.serena1)).status, 201);
  assert.equal((await verify("cached")).status, 200);
  const afterFirst = lookups.length;
  assert.ok(afterFirst >= 1);
  assert.equal((await verify("cached")).status, 200);
  assert.equal((await verify("cached")).status, 200);
  assert.equal(lookups.length, afterFirst, "no lookup once the collection is known on v2");

  // v1: every request looks (v2 first, then v1).
  await store.addFace({ model: V1, collection: "old" }, "serena", {
    embedding: await embedding(PHOTOS.serena1, true),
    quality: 1,
  });
  lookups.length = 0;
  assert.equal((await verify("old")).status, 200);
  assert.equal((await verify("old")).status, 200);
  assert.deepEqual(lookups, [V2, V1, V2, V1]);
  // Deleted, it comes back on the default recipe.
  assert.equal((await app.request("/v1/collections/old", { method: "DELETE" })).status, 200);
  assert.equal((await enroll("old", PHOTOS.serena1)).status, 201);
  assert.equal(await store.getSubject({ model: V1, collection: "old" }, "serena"), null);
  assert.equal(
    (await store.getSubject({ model: V2, collection: "old" }, "serena"))?.faces.length,
    1,
  );
  const verified = await json<{ model: string }>(await verify("old"));
  assert.equal(verified.model, V2);
});
