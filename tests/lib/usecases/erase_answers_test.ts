/**
 * The delete use cases erase the remembered answers naming what they delete (memory stores, no
 * model needed: faces are added to the store directly).
 */
import assert from "node:assert/strict";
import {
  type IdempotencyMentions,
  MemoryFaceStore,
  MemoryIdempotencyStore,
} from "../../../lib/store/mod.ts";
import {
  deleteCollection,
  deleteFace,
  deleteSubject,
  type UseCaseDeps,
} from "../../../lib/usecases/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../../models/manifest.ts";
import { unitVector } from "../store/_contract.ts";

const MODEL = defaultRecipe().id;

function setup() {
  const store = new MemoryFaceStore();
  const idempotency = new MemoryIdempotencyStore();
  const pipeline = { manifest: MODEL_MANIFEST };
  const deps = { store, idempotency, model: MODEL, pipeline } as unknown as UseCaseDeps;
  const ref = { model: MODEL, collection: "lobby" };
  const face = async (subject: string) =>
    (await store.addFace(ref, subject, { embedding: unitVector(8), quality: 0.9 })).id;
  let n = 0;
  /** A remembered answer naming `subject` (and `faceId`); returns how a replay sees it. */
  const answer = async (subject: string, faceId?: string) => {
    const key = { scope: "write", key: `k${n++}` };
    const claim = await idempotency.claim(key, "fp", 60_000);
    assert.ok(claim.claimed);
    const mentions: IdempotencyMentions = {
      collection: "lobby",
      subjects: [{ subject, faces: faceId ? [faceId] : [] }],
    };
    const body = JSON.stringify({ subject, face_id: faceId });
    const res = { status: 201, content_type: "application/json", body };
    assert.ok(await idempotency.complete(key, claim.token, res, 60_000, mentions));
    return async () => {
      const c = await idempotency.claim(key, "fp", 60_000);
      return c.claimed ? "free" : c.record.state;
    };
  };
  return { deps, store, ref, face, answer };
}

Deno.test("deleteFace() erases the answers naming that face, and the subject's when it was the last", async () => {
  const { deps, face, answer } = await setup();
  const f1 = await face("ann");
  const f2 = await face("ann");
  const ofF1 = await answer("ann", f1);
  const ofF2 = await answer("ann", f2);
  const ofAnn = await answer("ann"); // e.g. a problem about ann: no face
  await deleteFace(deps, { collection: "lobby", subject: "ann", faceId: f1 });
  assert.equal(await ofF1(), "erased");
  assert.equal(await ofF2(), "done");
  assert.equal(await ofAnn(), "done", "ann still exists");
  await deleteFace(deps, { collection: "lobby", subject: "ann", faceId: f2 });
  assert.equal(await ofF2(), "erased");
  assert.equal(await ofAnn(), "erased", "ann went with her last face");
});

Deno.test("deleteSubject() and deleteCollection() erase the answers naming their subjects", async () => {
  const { deps, face, answer } = await setup();
  await face("ann");
  await face("bob");
  const ofAnn = await answer("ann");
  const ofBob = await answer("bob");
  await deleteSubject(deps, { collection: "lobby", subject: "ann" });
  assert.equal(await ofAnn(), "erased");
  assert.equal(await ofBob(), "done");
  // A subject that does not exist is still 404, after its stale answers were erased.
  const stale = await answer("cy");
  await assert.rejects(deleteSubject(deps, { collection: "lobby", subject: "cy" }), {
    code: "subject_not_found",
  });
  assert.equal(await stale(), "erased");
  assert.deepEqual(await deleteCollection(deps, { collection: "lobby" }), {
    collection: "lobby",
    deleted_faces: 1,
  });
  assert.equal(await ofBob(), "erased");
});

Deno.test("the deletes work without an idempotency store", async () => {
  const { deps, face } = await setup();
  const bare = { ...deps, idempotency: undefined } as UseCaseDeps;
  const f = await face("ann");
  await deleteFace(bare, { collection: "lobby", subject: "ann", faceId: f });
  await assert.rejects(deleteSubject(bare, { collection: "lobby", subject: "ann" }), {
    code: "subject_not_found",
  });
});
