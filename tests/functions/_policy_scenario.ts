/**
 * The match-policy scenario, run on every backend (memory and Deno KV in
 * `tests/functions/policy_test.ts`, Redis through the bridge in
 * `tests/integration/upstash_policy_test.ts`): who may read and set a collection's policy, and
 * that a verify-role key cannot loosen a decision on any route while an admin can, audited.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import { createApiKey } from "../../lib/auth/mod.ts";
import { defaultRecipe, MODEL_MANIFEST, recipeManifest } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import {
  assertProblem,
  backendDeps,
  type CapturedLog,
  json,
  PHOTOS,
  postImage,
  putJson,
  readData,
  requestAs,
} from "./_fixtures.ts";

/** Runs the scenario on `backend` (collection `gate<random>`), as test steps of `t`. */
export async function policyScenario(t: Deno.TestContext, backend: Backend): Promise<void> {
  const config = parseConfig({ FACEGATE_RATE_LIMIT: "0", FACEGATE_STORE: "memory" });
  const logs: CapturedLog = [];
  const app = createApp(backendDeps(backend, config, logs));
  const admin = await createApiKey(backend.keys, { name: "ops", role: "admin", collections: "*" });
  const kiosk = await createApiKey(backend.keys, {
    name: "kiosk",
    role: "verify",
    collections: "*",
  });
  const gate = `gate${crypto.randomUUID().slice(0, 8)}`;
  const call = (key: string, path: string, init: RequestInit = {}) =>
    requestAs(app, key, path, init);
  const image = (photo: string) => postImage(photo);
  const put = putJson;
  const policyPath = `/v1/collections/${gate}/policy`;
  // A new collection gets the default recipe and its calibrated thresholds.
  const defaults = recipeManifest(MODEL_MANIFEST, defaultRecipe().id).embedder.thresholds;
  const t1e3 = defaults.far!["1e-3"]!;
  const t1e2 = defaults.far!["1e-2"]!;
  const verifyDefault = defaults.verify!;

  await json(
    await call(admin.key, `/v1/collections/${gate}/subjects/arnold/faces`, image(PHOTOS.arnold1)),
    201,
  );

  await t.step("a collection without a policy answers the calibrated defaults", async () => {
    const p = await json(await call(admin.key, policyPath));
    assert.deepEqual(p, {
      collection: gate,
      verify: { threshold: verifyDefault, source: "default" },
      identify: { threshold: defaults.identify, fpir: 0.01, source: "default" },
      retention: null,
      liveness: null,
      updated_at: null,
    });
  });

  await t.step("only an admin key reads or sets the policy", async () => {
    await assertProblem(await call(kiosk.key, policyPath), 403, "forbidden");
    await assertProblem(
      await call(kiosk.key, policyPath, put({ verify: { threshold: 2 } })),
      403,
      "forbidden",
    );
    await assertProblem(
      await call(admin.key, policyPath, put({ verify: { threshold: 2.5 } })),
      400,
      "invalid_request",
    );
    await assertProblem(
      await call(admin.key, policyPath, put({ verify: { far: "1e-9" } })),
      400,
      "invalid_request",
    );
    const set = await json(
      await call(
        admin.key,
        policyPath,
        put({ verify: { threshold: 0.9 }, identify: { far: "1e-3" } }),
      ),
    );
    assert.deepEqual(set.verify, { threshold: 0.9, source: "policy" });
    assert.deepEqual(set.identify, { threshold: t1e3, far: "1e-3", source: "policy" });
    assert.equal(typeof set.updated_at, "string");
    assert.deepEqual(await json(await call(admin.key, policyPath)), set);
    const audit = logs.find((l) => l.msg === "audit" && l.action === "policy_set");
    assert.equal(audit?.key_id, admin.info.id);
    assert.equal(audit?.collection, gate);
  });

  const verifyPath = `/v1/collections/${gate}/subjects/arnold/verify`;
  const identifyPath = `/v1/collections/${gate}/identify`;

  await t.step("a verify key cannot loosen a decision on any route", async () => {
    for (
      const path of [
        `${verifyPath}?threshold=2`,
        `${verifyPath}?threshold=0.91`,
        `${identifyPath}?threshold=2`,
        `${identifyPath}?far=1e-2`,
        "/v1/compare?threshold=2",
      ]
    ) {
      const init = path.startsWith("/v1/compare") ? comparePair() : image(PHOTOS.arnold2);
      const body = await assertProblem(await call(kiosk.key, path, init), 403, "policy_violation");
      assert.equal(typeof body.detail, "string", path);
    }
    assert.ok(t1e2 > t1e3, "1e-2 is looser than 1e-3");
  });

  await t.step(
    "a verify key gets the policy's threshold, or a stricter one it asks for",
    async () => {
      const byPolicy = await json(await call(kiosk.key, verifyPath, image(PHOTOS.arnold2)));
      assert.equal(byPolicy.threshold, 0.9);
      assert.equal(byPolicy.threshold_source, "policy");
      const stricter = await json(
        await call(kiosk.key, `${verifyPath}?threshold=0.5`, image(PHOTOS.arnold2)),
      );
      assert.equal(stricter.threshold, 0.5);
      assert.equal(stricter.threshold_source, "request");
      assert.equal(stricter.match, false);
      const identified = await json(await call(kiosk.key, identifyPath, image(PHOTOS.arnold2)));
      assert.equal(identified.threshold, t1e3);
      assert.equal(identified.threshold_source, "policy");
    },
  );

  await t.step("an admin may loosen a decision, and it is audited", async () => {
    const before = logs.length;
    const loose = await json(
      await call(admin.key, `${verifyPath}?threshold=2`, image(PHOTOS.karzai)),
    );
    assert.equal(loose.threshold, 2);
    assert.equal(loose.threshold_source, "request");
    assert.equal(loose.match, true, "at threshold 2 everyone matches: that is why it is guarded");
    const audit = logs.slice(before).filter((l) => l.msg === "audit");
    assert.equal(audit.length, 1);
    assert.equal(audit[0].action, "decision_loosened");
    assert.equal(audit[0].key_id, admin.info.id);
    assert.equal(audit[0].collection, gate);
    assert.equal(audit[0].threshold, 2);
    assert.equal(audit[0].policy_threshold, 0.9);
    assert.equal(typeof audit[0].request_id, "string");
    assert.ok(!JSON.stringify(audit[0]).includes("embedding"));
  });

  await t.step(
    "the audit trail lists the writes and the loosened decision, newest first",
    async () => {
      const auditPath = `/v1/collections/${gate}/audit`;
      await assertProblem(await call(kiosk.key, auditPath), 403, "forbidden");
      const subject = await json<{ faces: { face_id: string }[] }>(
        await call(admin.key, `/v1/collections/${gate}/subjects/arnold`),
      );
      const faceId = subject.faces[0].face_id;
      const del = await call(admin.key, `/v1/collections/${gate}/subjects/arnold/faces/${faceId}`, {
        method: "DELETE",
      });
      assert.equal(del.status, 204);
      const page = await json<{ events: Record<string, unknown>[]; next_cursor: string | null }>(
        await call(admin.key, auditPath),
      );
      assert.deepEqual(
        page.events.map((e) => e.action),
        ["delete_face", "decision_loosened", "policy_set", "enroll"],
      );
      assert.equal(page.next_cursor, null);
      const [deleted, , , enrolled] = page.events;
      assert.equal(deleted.face_id, faceId);
      assert.equal(deleted.subject, "arnold");
      assert.equal(deleted.key_id, admin.info.id);
      assert.equal(enrolled.face_id, faceId);
      assert.equal(typeof enrolled.request_id, "string");
      assert.ok(!Number.isNaN(Date.parse(enrolled.time as string)));
      assert.ok(!JSON.stringify(page).includes("embedding"));
      // One at a time, through the cursor.
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor === null ? "?limit=1" : `?limit=1&cursor=${cursor}`;
        const p = await json<{ events: { id: string }[]; next_cursor: string | null }>(
          await call(admin.key, auditPath + q),
        );
        seen.push(...p.events.map((e) => e.id));
        cursor = p.next_cursor;
      } while (cursor !== null);
      assert.deepEqual(seen, page.events.map((e) => e.id));
      await assertProblem(await call(admin.key, `${auditPath}?limit=0`), 400, "invalid_request");
      await assertProblem(await call(admin.key, `${auditPath}?limit=1001`), 400, "invalid_request");
      await json(await call(admin.key, `${auditPath}?limit=1000`));
      await assertProblem(
        await call(admin.key, `${auditPath}?cursor=nope`),
        400,
        "invalid_request",
      );
    },
  );

  await t.step(
    "a liveness requirement is kept by the store; only an admin may skip it, audited",
    async () => {
      await json(
        await call(
          admin.key,
          `/v1/collections/${gate}/subjects/arnold/faces`,
          image(PHOTOS.arnold1),
        ),
        201,
      );
      const set = await json(
        await call(
          admin.key,
          policyPath,
          put({ verify: { threshold: 0.9 }, liveness: { required: true, threshold: 0.6 } }),
        ),
      );
      assert.deepEqual(set.liveness, { required: true, mode: "passive", threshold: 0.6 });
      const read = await json(await call(admin.key, policyPath));
      assert.deepEqual(read.liveness, { required: true, mode: "passive", threshold: 0.6 });
      const verifyPath = `/v1/collections/${gate}/subjects/arnold/verify`;
      const checked = await json(await call(kiosk.key, verifyPath, image(PHOTOS.arnold2)));
      const verdict = checked.liveness as { threshold: number; source: string };
      assert.equal(verdict.threshold, 0.6);
      assert.equal(verdict.source, "policy");
      await assertProblem(
        await call(kiosk.key, `${verifyPath}?liveness=false`, image(PHOTOS.arnold2)),
        403,
        "policy_violation",
      );
      await assertProblem(
        await call(
          kiosk.key,
          `/v1/collections/${gate}/identify?liveness=false`,
          image(PHOTOS.arnold2),
        ),
        403,
        "policy_violation",
      );
      const before = logs.length;
      const skipped = await json(
        await call(admin.key, `${verifyPath}?liveness=false`, image(PHOTOS.arnold2)),
      );
      assert.equal(skipped.liveness, undefined);
      const audit = logs.slice(before).filter((l) => l.msg === "audit");
      assert.deepEqual(audit.map((a) => a.action), ["liveness_skipped"]);
      assert.equal(audit[0].key_id, admin.info.id);
      await json(await call(admin.key, policyPath, put({})));
    },
  );

  await t.step(
    "a v1 collection emptied and refilled by an enroll key keeps its policy (thresholds, retention)",
    async () => {
      const legacy = `legacy${crypto.randomUUID().slice(0, 8)}`;
      const v1 = { model: MODEL_MANIFEST.embedder.id, collection: legacy };
      assert.notEqual(v1.model, defaultRecipe().id);
      const embedding = new Float32Array(MODEL_MANIFEST.embedder.dim).fill(
        1 / Math.sqrt(MODEL_MANIFEST.embedder.dim),
      );
      await backend.faces.addFace(v1, "old", { embedding, quality: 1 });
      const set = {
        verify: { threshold: 0.5 },
        identify: { threshold: 0.4 },
        retention: { days: 30 },
      };
      const before = await json<Record<string, unknown>>(
        await call(admin.key, `/v1/collections/${legacy}/policy`, put(set)),
      );
      const writer = await createApiKey(backend.keys, {
        name: "writer",
        role: "enroll",
        collections: [legacy],
      });
      const del = await call(writer.key, `/v1/collections/${legacy}/subjects/old`, {
        method: "DELETE",
      });
      assert.equal(del.status, 204);
      await json(
        await call(
          writer.key,
          `/v1/collections/${legacy}/subjects/serena/faces`,
          image(PHOTOS.serena1),
        ),
        201,
      );
      const v2 = { model: defaultRecipe().id, collection: legacy };
      assert.ok(await backend.faces.getSubject(v2, "serena"), "refilled, the collection is on v2");
      const after = await json(await call(admin.key, `/v1/collections/${legacy}/policy`));
      assert.deepEqual(after, before);
      assert.deepEqual(after.retention, { days: 30 });
      const verified = await json<{ threshold: number; threshold_source: string }>(
        await call(
          writer.key,
          `/v1/collections/${legacy}/subjects/serena/verify`,
          image(PHOTOS.serena2),
        ),
      );
      assert.equal(verified.threshold, 0.5);
      assert.equal(verified.threshold_source, "policy");
      await backend.faces.deleteCollection({ model: defaultRecipe().id, collection: legacy });
    },
  );

  await backend.faces.deleteCollection({ model: defaultRecipe().id, collection: gate });
}

function comparePair(): RequestInit {
  const form = new FormData();
  form.append("a", new Blob([readData(PHOTOS.serena1)], { type: "image/jpeg" }), "a.jpg");
  form.append("b", new Blob([readData(PHOTOS.karzai)], { type: "image/jpeg" }), "b.jpg");
  return { method: "POST", body: form };
}
