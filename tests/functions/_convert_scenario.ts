/**
 * Converting a v2 collection to v3 in place, run on every backend (memory and Deno KV in
 * `tests/functions/convert_test.ts`, Redis through the bridge in
 * `tests/integration/upstash_convert_test.ts`): its people verify and identify as before, faces
 * keep their ids, metadata, creation times and expiry, the policy and retention stay, and it is
 * audited.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import { createApiKey } from "../../lib/auth/mod.ts";
import { defaultRecipe, embedderRecipes } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import {
  assertProblem,
  backendDeps,
  type CapturedLog,
  json,
  PHOTOS,
  postImage,
  postJson,
  putJson,
  requestAs,
} from "./_fixtures.ts";

/** Runs the scenario on `backend` as test steps of `t`. */
export async function convertScenario(t: Deno.TestContext, backend: Backend): Promise<void> {
  const config = parseConfig({ FACEGATE_RATE_LIMIT: "0", FACEGATE_STORE: "memory" });
  const logs: CapturedLog = [];
  const app = createApp(backendDeps(backend, config, logs));
  const admin = await createApiKey(backend.keys, { name: "ops", role: "admin", collections: "*" });
  const kiosk = await createApiKey(backend.keys, { name: "k", role: "enroll", collections: "*" });
  const c = `conv${crypto.randomUUID().slice(0, 8)}`;
  const v2 = defaultRecipe().id;
  const v3 = embedderRecipes().find((r) => r.projection)!.id;
  const call = (key: string, path: string, init: RequestInit = {}) =>
    requestAs(app, key, path, init);
  const base = `/v1/collections/${c}`;

  const serena = await json<{ face_id: string; created_at: string }>(
    await call(admin.key, `${base}/subjects/serena/faces?expires_at=2099-01-01T00:00:00Z`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        image: (await Deno.readFile(
          `${Deno.env.get("FACEGATE_DATA") ?? "../shared/data"}/${PHOTOS.serena1}`,
        )).toBase64(),
        metadata: { badge: 7 },
      }),
    }),
    201,
  );
  await json(
    await call(admin.key, `${base}/subjects/arnold/faces`, postImage(PHOTOS.arnold1)),
    201,
  );
  await json(
    await call(admin.key, `${base}/subjects/arnold/faces`, postImage(PHOTOS.arnold2)),
    201,
  );
  await json(
    await call(
      admin.key,
      `${base}/policy`,
      putJson({ verify: { threshold: 1.0 }, retention: { days: 3650 } }),
    ),
  );

  await t.step("only an admin converts; an unknown or unmappable recipe is a 400", async () => {
    await assertProblem(
      await call(kiosk.key, `${base}/convert`, postJson({ to: v3 })),
      403,
      "forbidden",
    );
    await assertProblem(
      await call(admin.key, `${base}/convert`, postJson({ to: "nope" })),
      400,
      "invalid_request",
    );
    await assertProblem(
      await call(admin.key, `${base}/convert`, postJson({})),
      400,
      "invalid_request",
    );
    await assertProblem(
      await call(admin.key, `/v1/collections/none${c}/convert`, postJson({ to: v3 })),
      404,
      "collection_not_found",
    );
  });

  await t.step(
    "v2 → v3 moves every face, keeping ids, metadata, creation time and expiry",
    async () => {
      const done = await json(await call(admin.key, `${base}/convert`, postJson({ to: v3 })));
      assert.deepEqual(done, {
        collection: c,
        from: v2,
        to: v3,
        subjects: 2,
        faces: 3,
        unchanged: false,
      });
      assert.equal(await backend.faces.getSubject({ model: v2, collection: c }, "serena"), null);
      const s = await backend.faces.getSubject({ model: v3, collection: c }, "serena");
      assert.ok(s);
      assert.equal(s.faces[0].id, serena.face_id);
      assert.equal(s.faces[0].created_at, serena.created_at);
      assert.deepEqual(s.faces[0].metadata, { badge: 7 });
      assert.equal(s.faces[0].embedding.length, 128);
      assert.equal(s.expires_at, "2099-01-01T00:00:00.000Z");
      const again = await json(await call(admin.key, `${base}/convert`, postJson({ to: v3 })));
      assert.equal(again.unchanged, true);
      const audit = logs.filter((l) => l.msg === "audit" && l.action === "collection_converted");
      assert.equal(audit.length, 1);
      assert.equal(audit[0].faces, 3);
      assert.equal(audit[0].key_id, admin.info.id);
    },
  );

  await t.step(
    "after the conversion its people verify and identify as before, with v3",
    async () => {
      const yes = await json(
        await call(kiosk.key, `${base}/subjects/serena/verify`, postImage(PHOTOS.serena2)),
      );
      assert.equal(yes.match, true);
      assert.equal(yes.model, v3);
      assert.equal(yes.threshold, 1.0, "the policy's threshold stays");
      const no = await json(
        await call(kiosk.key, `${base}/subjects/serena/verify`, postImage(PHOTOS.karzai)),
      );
      assert.equal(no.match, false);
      const who = await json<{ match: { subject: string } | null; model: string }>(
        await call(kiosk.key, `${base}/identify`, postImage(PHOTOS.arnold3)),
      );
      assert.equal(who.match?.subject, "arnold");
      assert.equal(who.model, v3);
      const policy = await json(await call(admin.key, `${base}/policy`));
      assert.deepEqual(policy.retention, { days: 3650 });
    },
  );

  await t.step("new enrolments of a converted collection go to v3", async () => {
    await json(
      await call(kiosk.key, `${base}/subjects/hamid/faces`, postImage(PHOTOS.karzai)),
      201,
    );
    assert.ok(await backend.faces.getSubject({ model: v3, collection: c }, "hamid"));
  });

  await backend.faces.deleteCollection({ model: v3, collection: c });
}
