/**
 * The retention scenario, run on every backend (memory and Deno KV in
 * `tests/functions/retention_test.ts`, Redis through the bridge in
 * `tests/integration/upstash_retention_test.ts`) on real photos, with an injected clock (no
 * sleeping): the retention period in the collection's policy, subject expiry, faces past either
 * never matching (verify, identify, identify face=all, a warm cached index), and the purge.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import { createApiKey } from "../../lib/auth/mod.ts";
import { defaultRecipe } from "../../models/manifest.ts";
import { type AppDeps, createApp } from "../../functions/app.ts";
import { useCaseDeps } from "../../app/mod.ts";
import { MAX_EXPIRY_DAYS, MAX_RETENTION_DAYS, purgeExpired } from "../../lib/usecases/mod.ts";
import {
  assertProblem,
  backendDeps,
  type CapturedLog,
  json,
  PHOTOS,
  postImage,
  putJson,
  requestAs,
} from "./_fixtures.ts";

const DAY = 86_400_000;
const T0 = Date.parse("2026-03-01T00:00:00.000Z");

/** A mutable clock shared by the store (`created_at`) and the use cases (now). */
export interface TestClock {
  /** The current time, ms. */
  t: number;
  /** `() => new Date(t)`. */
  now: () => Date;
}

/** A clock at 2026-03-01T00:00:00Z; give `now` to `openBackend` so faces get its times. */
export function testClock(): TestClock {
  const clock: TestClock = { t: T0, now: () => new Date(clock.t) };
  return clock;
}

/** Every key and a text dump of its value, of the backend's whole keyspace (audit keys left out). */
export type KeyspaceScan = () => Promise<Map<string, string>>;

/**
 * Runs the scenario on `backend` (opened with `clock.now`), as test steps of `t`; `scan` dumps the
 * store's keyspace (null for memory, which has none).
 */
export async function retentionScenario(
  t: Deno.TestContext,
  backend: Backend,
  clock: TestClock,
  scan: KeyspaceScan | null,
): Promise<void> {
  const config = parseConfig({
    FACEGATE_RATE_LIMIT: "0",
    FACEGATE_STORE: "memory",
    FACEGATE_PURGE_INTERVAL_MINUTES: "0",
  });
  const logs: CapturedLog = [];
  const deps: AppDeps = backendDeps(backend, config, logs, { clock: clock.now });
  const app = createApp(deps);
  const admin = await createApiKey(backend.keys, { name: "ops", role: "admin", collections: "*" });
  const enroller = await createApiKey(backend.keys, {
    name: "desk",
    role: "enroll",
    collections: "*",
  });
  const tag = crypto.randomUUID().slice(0, 8);
  const gate = `ret${tag}`;
  // Distinctive names, so that a scan of the keyspace cannot find them by accident.
  const ARNOLD = `arnold-${tag}`, SERENA = `serena-${tag}`, KARZAI = `karzai-${tag}`;
  const call = (key: string, path: string, init: RequestInit = {}) =>
    requestAs(app, key, path, init);
  const image = (photo: string) => postImage(photo);
  const put = putJson;
  const base = `/v1/collections/${gate}`;
  /** Enrolls, with an `Idempotency-Key` when `key` is given (its answer is then remembered). */
  const enroll = async (
    subject: string,
    photo: string,
    query = "",
    key?: string,
  ) => (await json<{ face_id: string; expires_at?: string }>(
    await call(admin.key, `${base}/subjects/${subject}/faces${query}`, {
      ...image(photo),
      headers: { "content-type": "image/jpeg", ...(key ? { "idempotency-key": key } : {}) },
    }),
    201,
  ));
  const verify = (subject: string, photo: string) =>
    call(admin.key, `${base}/subjects/${subject}/verify`, image(photo));
  type Candidate = { subject: string; face_id: string };
  const identify = async (photo: string) =>
    await json<{ match: Candidate | null; candidates: Candidate[] }>(
      await call(admin.key, `${base}/identify`, image(photo)),
    );
  const ref = { model: defaultRecipe().id, collection: gate };

  // Day 0: arnold's first face and serena's only face; day 20: arnold's second face. All through
  // Idempotency-Key: their remembered answers (kept 24 h of real time) name them until a purge
  // erases those of the purged faces.
  clock.t = T0;
  const arnoldOld = (await enroll(ARNOLD, PHOTOS.arnold1, "", crypto.randomUUID())).face_id;
  const serenaFace = (await enroll(SERENA, PHOTOS.serena1, "", crypto.randomUUID())).face_id;
  clock.t = T0 + 20 * DAY;
  const arnoldNew = (await enroll(ARNOLD, PHOTOS.arnold3, "", crypto.randomUUID())).face_id;

  await t.step("the retention period is part of the policy: bounds, GET, audited", async () => {
    const path = `${base}/policy`;
    assert.equal((await json(await call(admin.key, path))).retention, null);
    for (
      const bad of [
        { days: 0 },
        { days: MAX_RETENTION_DAYS + 1 },
        { days: 1.5 },
        { days: "30" },
        { days: 30, hours: 1 },
        30,
      ]
    ) {
      await assertProblem(
        await call(admin.key, path, put({ retention: bad })),
        400,
        "invalid_request",
      );
    }
    for (const days of [1, MAX_RETENTION_DAYS - 1, MAX_RETENTION_DAYS, 30]) {
      const set = await json(await call(admin.key, path, put({ retention: { days } })));
      assert.deepEqual(set.retention, { days });
      assert.deepEqual((await json(await call(admin.key, path))).retention, { days });
    }
    await assertProblem(
      await call(enroller.key, path, put({ retention: { days: 365 } })),
      403,
      "forbidden",
    );
    const events = logs.filter((l) => l.msg === "audit" && l.action === "policy_set");
    assert.deepEqual(events.at(-1)?.retention, { days: 30 });
    assert.equal(events.at(-1)?.key_id, admin.info.id);
  });

  await t.step("within the retention period every face matches", async () => {
    clock.t = T0 + 25 * DAY;
    assert.equal((await json(await verify(SERENA, PHOTOS.serena2))).match, true);
    const who = await identify(PHOTOS.serena2);
    assert.equal(who.match?.subject, SERENA);
    assert.equal(who.match?.face_id, serenaFace);
  });

  await t.step(
    "a face older than the retention period never matches, from a warm index too",
    async () => {
      const version = await backend.faces.galleryVersion!(ref);
      clock.t = T0 + 30 * DAY + 1; // serena's face and arnold's first are 30 days + 1 ms old
      assert.equal(await backend.faces.galleryVersion!(ref), version, "nothing was written");
      await assertProblem(await verify(SERENA, PHOTOS.serena2), 404, "subject_not_found");
      const who = await identify(PHOTOS.serena2);
      assert.ok(who.match === null || who.match.subject !== SERENA, JSON.stringify(who));
      assert.ok(!who.candidates.some((c) => c.subject === SERENA), JSON.stringify(who));
      const all = await json<{ faces: { candidates: Candidate[] }[] }>(
        await call(admin.key, `${base}/identify?face=all`, image(PHOTOS.serena2)),
      );
      assert.ok(all.faces.length >= 1);
      for (const f of all.faces) assert.ok(!f.candidates.some((c) => c.subject === SERENA));
      // Arnold still matches, by his younger face only.
      const v = await json(await verify(ARNOLD, PHOTOS.arnold2));
      assert.equal(v.match, true);
      assert.equal(v.face_id, arnoldNew);
      const a = await identify(PHOTOS.arnold2);
      assert.equal(a.match?.subject, ARNOLD);
      assert.equal(a.match?.face_id, arnoldNew);
      // Until a purge, the faces are still listed.
      const listed = await json<{ faces: unknown[] }>(
        await call(admin.key, `${base}/subjects/${SERENA}`),
      );
      assert.equal(listed.faces.length, 1);
    },
  );

  let karzaiFace = "";
  await t.step(
    "a subject's expiry: bounds, set when enrolling, shown, changed by an admin",
    async () => {
      const now = clock.t;
      const iso = (ms: number) => new Date(ms).toISOString();
      const expiry = `${base}/subjects/${KARZAI}/faces?expires_at=`;
      for (
        const bad of [
          iso(now),
          iso(now - 1),
          iso(now + MAX_EXPIRY_DAYS * DAY + 1),
          "2027-01-01T00:00:00",
          "tomorrow",
        ]
      ) {
        await assertProblem(
          await call(admin.key, expiry + encodeURIComponent(bad), image(PHOTOS.karzai)),
          400,
          "invalid_request",
        );
      }
      assert.equal(await backend.faces.getSubject(ref, KARZAI), null, "nothing was enrolled");
      const far = await enroll(
        KARZAI,
        PHOTOS.karzai,
        `?expires_at=${iso(now + MAX_EXPIRY_DAYS * DAY)}`,
      );
      assert.equal(far.expires_at, iso(now + MAX_EXPIRY_DAYS * DAY));
      const enrolled = await json<{ face_id: string; expires_at: string }>(
        await call(enroller.key, expiry + iso(now + 1), image(PHOTOS.karzai)),
        201,
      );
      karzaiFace = enrolled.face_id;
      assert.equal(enrolled.expires_at, iso(now + 1));
      const subject = await json(await call(admin.key, `${base}/subjects/${KARZAI}`));
      assert.equal(subject.expires_at, iso(now + 1));
      const page = await json<{ subjects: { subject: string; expires_at?: string }[] }>(
        await call(admin.key, `${base}/subjects`),
      );
      assert.equal(page.subjects.find((s) => s.subject === KARZAI)?.expires_at, iso(now + 1));
      assert.equal(page.subjects.find((s) => s.subject === ARNOLD)?.expires_at, undefined);

      const path = `${base}/subjects/${KARZAI}/expiry`;
      await assertProblem(
        await call(enroller.key, path, put({ expires_at: iso(now + DAY) })),
        403,
        "forbidden",
      );
      for (
        const bad of [{ expires_at: iso(now) }, { expires_at: 5 }, {}, { expires_at: null, x: 1 }]
      ) {
        await assertProblem(await call(admin.key, path, put(bad)), 400, "invalid_request");
      }
      await assertProblem(
        await call(admin.key, `${base}/subjects/nobody-${tag}/expiry`, put({ expires_at: null })),
        404,
        "subject_not_found",
      );
      assert.deepEqual(await json(await call(admin.key, path, put({ expires_at: null }))), {
        subject: KARZAI,
        expires_at: null,
      });
      assert.equal(
        (await json(await call(admin.key, `${base}/subjects/${KARZAI}`))).expires_at,
        undefined,
      );
      const set = await json(await call(admin.key, path, put({ expires_at: iso(now + 2 * DAY) })));
      assert.equal(set.expires_at, iso(now + 2 * DAY));
      const audit = logs.filter((l) => l.msg === "audit" && l.action === "subject_expiry_set");
      assert.equal(audit.length, 2);
      assert.equal(audit[1].expires_at, iso(now + 2 * DAY));
      assert.equal(audit[1].subject, KARZAI);
    },
  );

  await t.step("an expired subject never matches, from a warm index too", async () => {
    assert.equal((await json(await verify(KARZAI, PHOTOS.karzai))).match, true);
    assert.equal((await identify(PHOTOS.karzai)).match?.subject, KARZAI);
    clock.t += 2 * DAY; // exactly at the expiry: expired
    await assertProblem(await verify(KARZAI, PHOTOS.karzai), 404, "subject_not_found");
    const who = await identify(PHOTOS.karzai);
    assert.ok(!who.candidates.some((c) => c.subject === KARZAI), JSON.stringify(who));
    assert.equal((await identify(PHOTOS.arnold2)).match?.subject, ARNOLD);
  });

  await t.step("purge deletes exactly the expired faces and subjects, once, audited", async () => {
    const uc = useCaseDeps(deps);
    // Through the admin route (an enroll key may not start one).
    const purge = `${base}/purge`;
    await assertProblem(await call(enroller.key, purge, { method: "POST" }), 403, "forbidden");
    const report = await json(await call(admin.key, purge, { method: "POST" }));
    // arnold's first face, serena's face, karzai's two faces.
    assert.deepEqual(report, { collection: gate, purged_faces: 4, purged_subjects: 2 });
    assert.equal(await backend.faces.getSubject(ref, SERENA), null);
    assert.equal(await backend.faces.getSubject(ref, KARZAI), null);
    const arnold = await backend.faces.getSubject(ref, ARNOLD);
    assert.deepEqual(arnold?.faces.map((f) => f.id), [arnoldNew]);
    assert.equal(arnold?.face_count, 1);
    const page = await backend.faces.listSubjects(ref);
    assert.deepEqual(page.subjects.map((s) => s.subject), [ARNOLD]);
    const g = await backend.faces.gallery(ref);
    assert.deepEqual(g.faceIds, [arnoldNew]);
    const events = logs.filter((l) => l.msg === "audit" && l.action === "purge_expired");
    assert.equal(events.length, 1);
    assert.equal(events[0].purged_faces, 4);
    assert.equal(events[0].purged_subjects, 2);
    assert.equal(events[0].retention_days, 30);
    for (const gone of [SERENA, KARZAI, serenaFace, karzaiFace, arnoldOld]) {
      assert.ok(!JSON.stringify(events[0]).includes(gone), "the purge event holds counts only");
    }
    // Again: nothing left to purge, no event.
    assert.deepEqual(await purgeExpired(uc, { collection: gate }), {
      collection: gate,
      purged_faces: 0,
      purged_subjects: 0,
    });
    assert.equal(logs.filter((l) => l.action === "purge_expired").length, 1);
    assert.equal((await json(await verify(ARNOLD, PHOTOS.arnold2))).match, true);
  });

  if (scan !== null) {
    await t.step("after the purge no key or value names a purged subject or face", async () => {
      const space = await scan();
      let mine = 0;
      const all = [...space].map(([k, v]) => k + "\n" + v).join("\n");
      for (const [key, value] of space) {
        if (key.includes(gate)) mine++;
        for (const gone of [SERENA, KARZAI, serenaFace, karzaiFace, arnoldOld]) {
          assert.ok(!key.includes(gone) && !value.includes(gone), `${key} still mentions ${gone}`);
        }
      }
      assert.ok(mine >= 3, `${mine} keys of the collection`);
      // The control: the scan sees what is still there.
      assert.ok(all.includes(ARNOLD) && all.includes(arnoldNew), "the scan sees arnold's face");
    });
  }

  await t.step("purge runs beside enrolls and beside another purge", async () => {
    // Serena again, enrolled on day 0 (old by now), then purged while she is re-enrolled.
    const now = clock.t;
    clock.t = T0;
    const old = (await enroll(SERENA, PHOTOS.serena1)).face_id;
    clock.t = now;
    const uc = useCaseDeps(deps);
    const [a, b, fresh, other] = await Promise.all([
      purgeExpired(uc, { collection: gate }),
      purgeExpired(useCaseDeps(deps), { collection: gate }),
      enroll(SERENA, PHOTOS.serena2),
      enroll(`other-${tag}`, PHOTOS.arnold2),
    ]);
    assert.equal(a.purged_faces + b.purged_faces, 1, "the old face is deleted exactly once");
    const serena = await backend.faces.getSubject(ref, SERENA);
    assert.deepEqual(serena?.faces.map((f) => f.id), [fresh.face_id]);
    assert.ok(!serena?.faces.some((f) => f.id === old));
    assert.equal(serena?.face_count, 1);
    assert.equal((await backend.faces.getSubject(ref, `other-${tag}`))?.face_count, 1);
    assert.equal((await json(await verify(SERENA, PHOTOS.serena1))).match, true);
    assert.deepEqual(other.expires_at, undefined);
  });

  await backend.faces.deleteCollection(ref);
}
