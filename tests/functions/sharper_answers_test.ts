/**
 * Sharper answers: an unknown collection is a 404 (a typo is not a stranger), numbers are rounded
 * to 4 decimals, and a turned photo says how it was turned.
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodeImage, orientRaster } from "../../lib/image/mod.ts";
import { encodeJpeg } from "../lib/pipeline/_jpeg_encoder.ts";
import { assertProblem, json, makeApp, PHOTOS, postImage, readData } from "./_fixtures.ts";

/** True when `x` has at most 4 decimals. */
const fourDecimals = (x: unknown) =>
  typeof x === "number" && Math.abs(x * 1e4 - Math.round(x * 1e4)) < 1e-6;

async function appWithSerena() {
  const made = makeApp();
  await json(
    await made.app.request("/v1/collections/c/subjects/serena/faces", postImage(PHOTOS.serena1)),
    201,
  );
  return made;
}

Deno.test("identify and verify on a collection that does not exist answer 404 collection_not_found", async () => {
  const { app } = await appWithSerena();
  const identify = await app.request("/v1/collections/typo/identify", postImage(PHOTOS.serena2));
  const body = await assertProblem(identify, 404, "collection_not_found");
  assert.match(body.detail, /typo/);
  await assertProblem(
    await app.request("/v1/collections/typo/subjects/serena/verify", postImage(PHOTOS.serena2)),
    404,
    "collection_not_found",
  );
  // The collection exists, the subject does not: that stays subject_not_found.
  await assertProblem(
    await app.request("/v1/collections/c/subjects/venus/verify", postImage(PHOTOS.serena2)),
    404,
    "subject_not_found",
  );
});

Deno.test("verify, compare and identify round distances, similarities and confidences to 4 decimals", async () => {
  const { app } = await appWithSerena();
  const verify = await json(
    await app.request("/v1/collections/c/subjects/serena/verify", postImage(PHOTOS.serena2)),
  );
  for (const k of ["distance", "similarity", "confidence"]) assert.ok(fourDecimals(verify[k]), k);
  assert.equal(verify.match, true);
  const form = new FormData();
  form.set("a", new Blob([readData(PHOTOS.serena1)], { type: "image/jpeg" }));
  form.set("b", new Blob([readData(PHOTOS.karzai)], { type: "image/jpeg" }));
  const compare = await json(await app.request("/v1/compare", { method: "POST", body: form }));
  for (const k of ["distance", "similarity", "confidence"]) assert.ok(fourDecimals(compare[k]), k);
  const identify = await json<
    { match: Record<string, unknown>; candidates: Record<string, unknown>[] }
  >(
    await app.request("/v1/collections/c/identify", postImage(PHOTOS.serena2)),
  );
  for (const c of [identify.match, ...identify.candidates]) {
    for (const k of ["distance", "similarity", "confidence"]) assert.ok(fourDecimals(c[k]), k);
  }
});

Deno.test("a photo turned 90° verifies and the answer reports the rotation applied", async () => {
  const { app } = await appWithSerena();
  const turned = encodeJpeg(orientRaster(await decodeImage(readData(PHOTOS.serena2)), 6), 95);
  const req = {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: turned as BodyInit,
  };
  const verify = await json(await app.request("/v1/collections/c/subjects/serena/verify", req));
  assert.equal(verify.match, true);
  assert.equal(verify.rotation, 270);
  const upright = await json(
    await app.request("/v1/collections/c/subjects/serena/verify", postImage(PHOTOS.serena2)),
  );
  assert.equal(upright.rotation, undefined);
});
