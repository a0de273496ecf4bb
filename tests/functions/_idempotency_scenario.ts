/**
 * The `Idempotency-Key` scenario, run on every backend (memory and Deno KV in
 * `tests/functions/idempotency_key_test.ts`, Redis through the bridge in
 * `tests/integration/upstash_idempotency_key_test.ts`), with the erasure of remembered answers:
 * subjects enrolled through `Idempotency-Key` and through the upload webhook are deleted (a
 * subject, a face, the collection), then the backend's whole keyspace is scanned for their names
 * and face ids.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import { FaceError } from "../../lib/errors.ts";
import type { FaceStore } from "../../lib/store/mod.ts";
import { signWebhook } from "../../lib/webhook/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import { findPlain } from "../integration/_plain_scan.ts";
import { assertProblem, json, PHOTOS, readData, sessions } from "./_fixtures.ts";

/** What a backend holds, as the erasure checks scan it. */
export interface Keyspace {
  /**
   * Every key of the backend with its value, both as text (for memory: every idempotency record
   * and index entry), audit events left out: they are allowed to name subjects (ids only, never
   * templates) and are checked through the audit API instead.
   */
  entries: Map<string, string>;
  /** The store's bytes at rest (KV file and WAL, Redis RDB), searched for embeddings; none for memory. */
  raw?: Uint8Array;
}

/** How the scenario reads the backend's whole keyspace. */
export interface ScenarioOptions {
  /** Reads the keyspace. */
  scan: () => Promise<Keyspace>;
}

const WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A loopback stand-in for the upload service, serving photos of the data set. */
function startPhotoServer(): { origin: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname.slice(1));
    return new Response(readData(path), { headers: { "content-type": "image/jpeg" } });
  });
  return {
    origin: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    close: () => server.shutdown(),
  };
}

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
export async function idempotencyScenario(
  t: Deno.TestContext,
  backend: Backend,
  options: ScenarioOptions,
): Promise<void> {
  let fault: Fault = "none";
  const store = faultyFaces(backend.faces, () => fault, () => (fault = "none"));
  const app = createApp({
    pipeline: { sessions },
    store,
    idempotency: backend.idempotency,
    policies: backend.policies,
    audits: backend.audit,
    config: parseConfig({
      FACEGATE_AUTH: "off",
      FACEGATE_STORE: "memory",
      FACEGATE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      FACEGATE_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK: "1",
    }),
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

  await t.step(
    "deleting a subject, a face, a collection erases every remembered answer naming them",
    () => erasureSteps(app, backend, options),
  );
}

type App = ReturnType<typeof createApp>;

/** Enrolls through `Idempotency-Key` and the webhook, deletes, scans the keyspace each time. */
async function erasureSteps(app: App, backend: Backend, options: ScenarioOptions) {
  const col = `erase${crypto.randomUUID().slice(0, 8)}`;
  const ref = { model: MODEL_ENROLL, collection: col };
  // Names no other part of the store could contain by chance.
  const ann = `zqann${crypto.randomUUID().slice(0, 6)}`;
  const bob = `zqbob${crypto.randomUUID().slice(0, 6)}`;
  const photos = startPhotoServer();
  const enroll = (subject: string, key: string, photo: string) =>
    app.request(`/v1/collections/${col}/subjects/${subject}/faces`, {
      method: "POST",
      headers: { "content-type": "image/jpeg", "idempotency-key": key },
      body: readData(photo),
    });
  const deliver = async (id: string, data: Record<string, unknown>) => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({
      type: "upload.completed",
      data: { collection: col, ...data, url: `${photos.origin}/${data.url}` },
    });
    return await app.request("/v1/webhooks/upload", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(WEBHOOK_SECRET, id, timestamp, body),
      },
      body,
    });
  };
  const embed = async (photo: string) => {
    const res = await app.request("/v1/embed", {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: readData(photo),
    });
    const out = await json<{ faces: { embedding: number[] }[] }>(res, 200);
    return Float32Array.from(out.faces[0].embedding);
  };
  /** The keys and values (audit left out) that still mention any of `needles`. */
  const mentioning = async (...needles: string[]) => {
    const { entries } = await options.scan();
    assert.ok(entries.size > 0);
    return [...entries].filter(([k, v]) => needles.some((n) => k.includes(n) || v.includes(n)))
      .map(([k]) => k);
  };
  const erased = async (res: Response, replayHeader: string) => {
    const body = await assertProblem(res, 409, "conflict");
    assert.equal(body.reason, "erased");
    assert.equal(res.headers.get(replayHeader), "true");
  };
  try {
    // ann: one face through Idempotency-Key, one through the webhook; bob: one through a key.
    const k1 = crypto.randomUUID();
    const a1 =
      (await json<{ face_id: string }>(await enroll(ann, k1, PHOTOS.arnold1), 201)).face_id;
    const w1 = `msg_${crypto.randomUUID()}`;
    const enrolled = await json<{ result: { face_id: string } }>(
      await deliver(w1, { action: "enroll", subject: ann, url: PHOTOS.arnold2 }),
      200,
    );
    const a2 = enrolled.result.face_id;
    const k3 = crypto.randomUUID();
    const b1 =
      (await json<{ face_id: string }>(await enroll(bob, k3, PHOTOS.serena1), 201)).face_id;
    // An identify delivery: its answer names ann (the match) and bob (a candidate).
    const w2 = `msg_${crypto.randomUUID()}`;
    const who = await json<{ result: { match: { subject: string } | null } }>(
      await deliver(w2, { action: "identify", url: PHOTOS.arnold3 }),
      200,
    );
    assert.equal(who.result.match?.subject, ann);

    // The control: before any delete the scan sees ann in the remembered answers and index.
    const before = await mentioning(ann, a1, a2);
    assert.ok(before.length >= 4, `the scan must see ann's answers: ${before}`);
    // No remembered answer, index entry or face record holds a template in plain text (the face
    // store seals them; the answers never carry one).
    const embeddings = await Promise.all(
      [PHOTOS.arnold1, PHOTOS.arnold2, PHOTOS.serena1].map(embed),
    );
    const space = await options.scan();
    const values = new TextEncoder().encode([...space.entries.values()].join("\n"));
    assert.deepEqual(findPlain(values, embeddings), []);
    if (space.raw) assert.deepEqual(findPlain(space.raw, embeddings), []);

    // Delete ann (itself with a key: its own answer, a 204, names nobody).
    const del = crypto.randomUUID();
    const deleteAnn = () =>
      app.request(`/v1/collections/${col}/subjects/${ann}`, {
        method: "DELETE",
        headers: { "idempotency-key": del },
      });
    assert.equal((await deleteAnn()).status, 204);
    assert.deepEqual(await mentioning(ann, a1, a2), [], "nothing may name ann after its deletion");
    assert.ok((await mentioning(bob, b1)).length > 0, "bob's answers and faces are still there");
    // Audit events are the exception: they keep the ids (never templates), by design.
    const audit = async () =>
      (await json<{ events: Record<string, unknown>[] }>(
        await app.request(`/v1/collections/${col}/audit?limit=100`),
        200,
      )).events;
    assert.ok((await audit()).some((e) => e.action === "delete_subject" && e.subject === ann));

    // Retries of the erased answers are told, and nothing is enrolled again.
    await erased(await enroll(ann, k1, PHOTOS.arnold1), "idempotent-replayed");
    await erased(
      await deliver(w1, { action: "enroll", subject: ann, url: PHOTOS.arnold2 }),
      "webhook-replayed",
    );
    await erased(
      await deliver(w2, { action: "identify", url: PHOTOS.arnold3 }),
      "webhook-replayed",
    );
    assert.equal(await backend.faces.getSubject(ref, ann), null, "no retry resurrected ann");
    // The same key with another body is still a plain conflict; the delete replays its 204.
    const other = await assertProblem(await enroll(ann, k1, PHOTOS.serena2), 409, "conflict");
    assert.notEqual(other.reason, "erased");
    assert.equal((await deleteAnn()).headers.get("idempotent-replayed"), "true");
    assert.deepEqual(await mentioning(ann, a1, a2), []);

    // A face: only the answers naming it go.
    const k4 = crypto.randomUUID();
    const b2 =
      (await json<{ face_id: string }>(await enroll(bob, k4, PHOTOS.serena2), 201)).face_id;
    const delFace = await app.request(`/v1/collections/${col}/subjects/${bob}/faces/${b2}`, {
      method: "DELETE",
    });
    assert.equal(delFace.status, 204);
    assert.deepEqual(await mentioning(b2), []);
    await erased(await enroll(bob, k4, PHOTOS.serena2), "idempotent-replayed");
    const kept = await enroll(bob, k3, PHOTOS.serena1);
    assert.equal(kept.status, 201, "the answer naming bob's other face is kept");
    assert.equal(kept.headers.get("idempotent-replayed"), "true");

    // The collection: every answer naming any of its subjects goes.
    const delCol = await app.request(`/v1/collections/${col}`, { method: "DELETE" });
    assert.equal(delCol.status, 200, await delCol.text());
    assert.deepEqual(await mentioning(ann, bob, a1, a2, b1, b2), []);
    await erased(await enroll(bob, k3, PHOTOS.serena1), "idempotent-replayed");
    assert.ok((await audit()).some((e) => e.action === "delete_collection"));

    // Knowingly enrolling again takes a new key.
    await json(await enroll(ann, crypto.randomUUID(), PHOTOS.arnold1), 201);
    assert.equal((await backend.faces.getSubject(ref, ann))?.faces.length, 1);
  } finally {
    await backend.faces.deleteCollection(ref).catch(() => 0);
    await photos.close();
  }
}

const MODEL_ENROLL = defaultRecipe().id;
