/**
 * The `Idempotency-Key` scenario, run on every backend (memory and Deno KV in
 * `tests/functions/idempotency_key_test.ts`, Redis through the bridge in
 * `tests/integration/upstash_idempotency_key_test.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import { FaceError } from "../../lib/errors.ts";
import type { FaceStore } from "../../lib/store/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import { assertProblem, json, PHOTOS, readData, sessions } from "./_fixtures.ts";

/** When the face write fails: before it is applied, or after (the answer is lost). */
type Fault = "none" | "before" | "after";

/** The backend's face store, failing its next `addFace` as `fault()` says. */
function faultyFaces(inner: FaceStore, fault: () => Fault, reset: () => void): FaceStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop !== "addFace" || typeof v !== "function") {
        return typeof v === "function" ? v.bind(target) : v;
      }
      return async (...args: Parameters<FaceStore["addFace"]>) => {
        const f = fault();
        reset();
        const down = new FaceError("store_unavailable", "Cannot add a face: the store stopped");
        if (f === "before") throw down;
        const record = await target.addFace(...args);
        if (f === "after") throw down;
        return record;
      };
    },
  });
}

/** Runs the scenario on `backend`, as test steps of `t`. */
export async function idempotencyScenario(t: Deno.TestContext, backend: Backend): Promise<void> {
  let fault: Fault = "none";
  const store = faultyFaces(backend.faces, () => fault, () => (fault = "none"));
  const app = createApp({
    pipeline: { sessions },
    store,
    idempotency: backend.idempotency,
    policies: backend.policies,
    config: parseConfig({ FACEGATE_AUTH: "off", FACEGATE_STORE: "memory" }),
    manifest: MODEL_MANIFEST,
    logger: { info: () => {}, error: () => {} },
  });
  const col = `idem${crypto.randomUUID().slice(0, 8)}`;
  const ref = { model: defaultRecipe().id, collection: col };
  const enroll = (subject: string, key: string | undefined, photo: string = PHOTOS.arnold1) =>
    app.request(`/v1/collections/${col}/subjects/${subject}/faces`, {
      method: "POST",
      headers: {
        "content-type": "image/jpeg",
        ...(key === undefined ? {} : { "idempotency-key": key }),
      },
      body: readData(photo),
    });
  const faces = async (subject: string) =>
    (await backend.faces.getSubject(ref, subject))?.faces.length ?? 0;

  await t.step(
    "the same Idempotency-Key twice stores one face and answers the same bytes",
    async () => {
      const key = crypto.randomUUID();
      const first = await enroll("ann", key);
      const firstText = await first.text();
      assert.equal(first.status, 201, firstText);
      const second = await enroll("ann", key);
      assert.equal(second.status, 201);
      assert.equal(second.headers.get("idempotent-replayed"), "true");
      assert.equal(await second.text(), firstText);
      assert.equal(await faces("ann"), 1);
      // Without a key, a retry is a second face (the old behaviour, on purpose).
      await json(await enroll("ann", undefined), 201);
      assert.equal(await faces("ann"), 2);
    },
  );

  await t.step("the same key with a different body is 409 conflict", async () => {
    const key = crypto.randomUUID();
    await json(await enroll("bob", key, PHOTOS.serena1), 201);
    await assertProblem(await enroll("bob", key, PHOTOS.serena2), 409, "conflict");
    assert.equal(await faces("bob"), 1);
  });

  await t.step("a key of 200 characters is accepted, 201 or a space are refused", async () => {
    await json(await enroll("cy", "k".repeat(200), PHOTOS.serena1), 201);
    await assertProblem(
      await enroll("cy", "k".repeat(201), PHOTOS.serena1),
      400,
      "invalid_request",
    );
    await assertProblem(await enroll("cy", "a b", PHOTOS.serena1), 400, "invalid_request");
  });

  await t.step(
    "a write that answered 503 before the store wrote is done once by the retry",
    async () => {
      const key = crypto.randomUUID();
      fault = "before";
      await assertProblem(await enroll("dee", key), 503, "store_unavailable");
      assert.equal(await faces("dee"), 0);
      const retry = await json<{ face_id: string }>(await enroll("dee", key), 201);
      assert.equal(await faces("dee"), 1);
      assert.equal((await backend.faces.getSubject(ref, "dee"))?.faces[0].id, retry.face_id);
    },
  );

  await t.step(
    "a write that answered 503 after the store wrote is completed by the retry, once",
    async () => {
      const key = crypto.randomUUID();
      fault = "after";
      await assertProblem(await enroll("eve", key), 503, "store_unavailable");
      assert.equal(await faces("eve"), 1, "the write happened, only its answer was lost");
      const retry = await json<{ face_id: string }>(await enroll("eve", key), 201);
      assert.equal(await faces("eve"), 1, "the retry did not write twice");
      assert.equal((await backend.faces.getSubject(ref, "eve"))?.faces[0].id, retry.face_id);
    },
  );

  await t.step("deletes and policy changes replay their first answer", async () => {
    const key = crypto.randomUUID();
    const del = (k: string) =>
      app.request(`/v1/collections/${col}/subjects/bob`, {
        method: "DELETE",
        headers: { "idempotency-key": k },
      });
    assert.equal((await del(key)).status, 204);
    const again = await del(key);
    assert.equal(again.status, 204);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    await assertProblem(await del(crypto.randomUUID()), 404, "subject_not_found");
    const put = () =>
      app.request(`/v1/collections/${col}/policy`, {
        method: "PUT",
        headers: { "content-type": "application/json", "idempotency-key": "policy-1" },
        body: JSON.stringify({ verify: { threshold: 1 } }),
      });
    const p1 = await put();
    const t1 = await p1.text();
    assert.equal(p1.status, 200, t1);
    const p2 = await put();
    assert.equal(p2.headers.get("idempotent-replayed"), "true");
    assert.equal(await p2.text(), t1, "the replay keeps the first updated_at");
  });

  await backend.faces.deleteCollection(ref);
}
