import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config.ts";
import { MemoryFaceStore, MemoryPolicyStore } from "../../../lib/store/mod.ts";
import {
  BackgroundPurge,
  enrollFace,
  identifyFace,
  setMatchPolicy,
  type UseCaseDeps,
} from "../../../lib/usecases/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../../models/manifest.ts";
import { useCaseDeps } from "../../../app/mod.ts";
import { PHOTOS, readData, sessions } from "../../functions/_fixtures.ts";

const DAY = 86_400_000;

/** Use-case deps on a memory store with a shared test clock and a throttled background purge. */
function setup() {
  const clock = { t: Date.parse("2026-03-01T00:00:00Z"), throttle: 0 };
  const now = () => new Date(clock.t);
  const store = new MemoryFaceStore({ now });
  const errors: string[] = [];
  const deps: UseCaseDeps = {
    ...useCaseDeps({
      pipeline: { sessions },
      store,
      config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_PURGE_INTERVAL_MINUTES: "0" }),
      manifest: MODEL_MANIFEST,
      policies: new MemoryPolicyStore(),
      clock: now,
      logger: { info: () => {}, error: () => {} },
    }),
  };
  const purges = new BackgroundPurge({
    intervalMs: 60_000,
    now: () => clock.throttle,
    onError: (collection, err) => errors.push(`${collection}: ${err}`),
  });
  deps.backgroundPurge = purges;
  return { deps, store, clock, purges, errors };
}

Deno.test("an identify starts a background purge of its collection, at most once per interval", async () => {
  const { deps, store, clock, purges } = setup();
  const collection = "bg";
  const enroll = (subject: string, photo: string) =>
    enrollFace(deps, { collection, subject, image: readData(photo) });
  await enroll("serena", PHOTOS.serena1);
  clock.t += 20 * DAY;
  await enroll("arnold", PHOTOS.arnold1);
  await setMatchPolicy(deps, { collection, policy: { retention: { days: 30 } } });
  clock.t += 11 * DAY; // serena's face is 31 days old
  const ref = { model: defaultRecipe().id, collection };
  const who = await identifyFace(deps, { collection, image: readData(PHOTOS.arnold2) });
  assert.equal(who.match?.subject, "arnold");
  await purges.idle();
  assert.equal(await store.getSubject(ref, "serena"), null, "purged in the background");
  // Within the interval a second expired face stays until the scheduled purge or the next window.
  const old = clock.t;
  clock.t -= 40 * DAY;
  await enroll("serena", PHOTOS.serena1);
  clock.t = old;
  await identifyFace(deps, { collection, image: readData(PHOTOS.arnold2) });
  await purges.idle();
  assert.equal((await store.getSubject(ref, "serena"))?.face_count, 1);
  clock.throttle += 60_000;
  await identifyFace(deps, { collection, image: readData(PHOTOS.arnold2) });
  await purges.idle();
  assert.equal(await store.getSubject(ref, "serena"), null);
});

Deno.test("a background purge that fails never fails the request; the error is reported", async () => {
  const { deps, store, clock, purges, errors } = setup();
  const collection = "bgfail";
  await enrollFace(deps, { collection, subject: "serena", image: readData(PHOTOS.serena1) });
  clock.t += 2 * DAY;
  await enrollFace(deps, { collection, subject: "arnold", image: readData(PHOTOS.arnold1) });
  await setMatchPolicy(deps, { collection, policy: { retention: { days: 1 } } });
  store.deleteFace = () => Promise.reject(new Error("store down"));
  const who = await identifyFace(deps, { collection, image: readData(PHOTOS.arnold2) });
  assert.equal(who.match?.subject, "arnold");
  assert.ok(!who.candidates.some((c) => c.subject === "serena"));
  await purges.idle();
  assert.equal(errors.length, 1);
  assert.match(errors[0], /bgfail: Error: store down/);
});
