import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import { MemoryFaceStore, MemoryPolicyStore } from "../../lib/store/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
import type { AppDeps } from "../../functions/app.ts";
import { scheduledPurge, schedulePurgeOnDeno } from "../../functions/_scheduled_purge.ts";
import { unitVector } from "../lib/store/_contract.ts";
import { type CapturedLog, sessions } from "./_fixtures.ts";

const DAY = 86_400_000;

function deps(store: MemoryFaceStore, logs: CapturedLog, now: () => Date): AppDeps {
  return {
    pipeline: { sessions },
    store,
    config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_PURGE_INTERVAL_MINUTES: "0" }),
    manifest: MODEL_MANIFEST,
    policies: new MemoryPolicyStore(),
    logger: { info: (f) => logs.push(f), error: (f) => logs.push({ ...f, level: "error" }) },
    clock: now,
  };
}

Deno.test("scheduledPurge() purges expired subjects in every collection and logs the counts", async () => {
  let t = Date.parse("2026-03-01T00:00:00Z");
  const now = () => new Date(t);
  const store = new MemoryFaceStore({ now });
  const logs: CapturedLog = [];
  const model = defaultRecipe().id;
  const add = (collection: string, subject: string, expiresAt?: string) =>
    store.addFace({ model, collection }, subject, {
      embedding: unitVector(8),
      quality: 0.9,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
  await add("a", "ann", new Date(t + DAY).toISOString());
  await add("a", "bob");
  await add("b", "cy", new Date(t + 2 * DAY).toISOString());
  await add("b", "cy");
  t += DAY; // ann expires now; cy tomorrow
  const app = deps(store, logs, now);
  assert.equal(await scheduledPurge(app), 1);
  t += DAY;
  assert.equal(await scheduledPurge(app), 2);
  assert.equal(await scheduledPurge(app), 0);
  const lines = logs.filter((l) => l.msg === "scheduled purge");
  assert.deepEqual(lines.map((l) => [l.collections, l.purged_faces, l.purged_subjects]), [
    [2, 1, 1],
    [2, 2, 1],
    [1, 0, 0],
  ]);
  assert.deepEqual(
    (await store.listSubjects({ model, collection: "a" })).subjects.map((s) => s.subject),
    ["bob"],
  );
});

Deno.test("scheduledPurge() throws naming a collection whose purge failed, after purging the others", async () => {
  let t = Date.parse("2026-03-01T00:00:00Z");
  const now = () => new Date(t);
  const store = new MemoryFaceStore({ now });
  const model = defaultRecipe().id;
  for (const collection of ["a", "b"]) {
    await store.addFace({ model, collection }, "ann", {
      embedding: unitVector(8),
      quality: 0.9,
      expiresAt: new Date(t + 1000).toISOString(),
    });
  }
  t += 1000;
  const deleteFace = store.deleteFace.bind(store);
  store.deleteFace = (ref, subject, faceId) =>
    ref.collection === "a"
      ? Promise.reject(new Error("store down"))
      : deleteFace(ref, subject, faceId);
  const logs: CapturedLog = [];
  await assert.rejects(scheduledPurge(deps(store, logs, now)), /scheduled purge failed in a/);
  assert.equal((await store.listSubjects({ model, collection: "b" })).subjects.length, 0);
  assert.deepEqual(logs.find((l) => l.msg === "scheduled purge")?.failed, ["a"]);
});

Deno.test("schedulePurgeOnDeno() registers an hourly purge with Deno.cron when the runtime has it", () => {
  const logs: CapturedLog = [];
  const app = deps(new MemoryFaceStore(), logs, () => new Date());
  const denoWithCron = Deno as unknown as { cron?: unknown };
  const original = denoWithCron.cron;
  try {
    denoWithCron.cron = undefined;
    assert.equal(schedulePurgeOnDeno(app), false);
    const registered: [string, string][] = [];
    denoWithCron.cron = (name: string, schedule: string) => {
      registered.push([name, schedule]);
      return Promise.resolve();
    };
    assert.equal(typeof denoWithCron.cron, "function", "Deno.cron could be replaced for the test");
    assert.equal(schedulePurgeOnDeno(app), true);
    assert.deepEqual(registered, [["facegate retention purge", "0 * * * *"]]);
  } finally {
    denoWithCron.cron = original;
  }
});
