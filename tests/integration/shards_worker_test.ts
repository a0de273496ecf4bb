/**
 * Gallery shards on workerd (`wrangler dev --local`): the Worker with `FACEGATE_SHARDS=crowd=4`
 * enrolls LFW photos into a collection spread over 4 `GalleryShard` Durable Objects (SQLite) and
 * the same photos into an unsharded one, then checks that identify answers the same across shards,
 * that a delete reaches the owning shard, that the shards keep their rows when workerd restarts on
 * the same state, and that a failing shard makes identify fail with 503 (never a partial answer).
 *
 * The Worker's own store is memory here (per isolate): after the restart only the shards hold the
 * faces, which is what the restart step checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildWorker } from "../../tools/build_worker.ts";
import { startWranglerDev } from "../../tools/wrangler_dev.ts";
import { shardOf } from "../../lib/shards/mod.ts";
import { dataDir } from "../_data.ts";

const TIMEOUT_MS = 60_000;
const SHARDS = 4;

interface Answer {
  match: { subject: string; distance: number } | null;
  candidates: { subject: string; distance: number; face_id: string }[];
  threshold: number;
  fpir?: { faces: number };
}

/** LFW people with ≥ 3 photos, sorted by name: `count` of them, 2 enrolled photos and a probe. */
function people(count: number): { name: string; photos: string[] }[] {
  const dir = dataDir();
  const by = new Map<string, string[]>();
  for (
    const line of Deno.readTextFileSync(`${dir}/faces/manifest.csv`).trim().split("\n").slice(1)
  ) {
    const [path, identity, source] = line.split(",");
    if (source === "lfw-deepfunneled") by.set(identity, [...(by.get(identity) ?? []), path]);
  }
  return [...by].filter(([, p]) => p.length >= 3).sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, count).map(([name, p]) => ({ name, photos: p.sort().slice(0, 3) }));
}

function client(url: string) {
  const post = async (path: string, photo: string) =>
    await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: await Deno.readFile(`${dataDir()}/faces/${photo}`),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  return {
    enroll: async (collection: string, subject: string, photo: string) => {
      const res = await post(
        `/v1/collections/${collection}/subjects/${subject}/faces?face=largest`,
        photo,
      );
      assert.equal(res.status, 201, await res.clone().text());
      await res.body?.cancel();
    },
    identify: async (collection: string, photo: string) =>
      await post(`/v1/collections/${collection}/identify?k=3`, photo),
    del: async (path: string) =>
      await fetch(`${url}${path}`, { method: "DELETE", signal: AbortSignal.timeout(TIMEOUT_MS) }),
  };
}

Deno.test({
  name:
    "gallery shards on workerd: identify across 4 shards equals unsharded, delete reaches the owning shard, rows survive a restart, a failing shard is a 503",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await buildWorker();
  const persist = await Deno.makeTempDir({ prefix: "facegate_shards_" });
  const vars = {
    FACEGATE_AUTH: "off",
    FACEGATE_STORE: "memory",
    FACEGATE_SHARDS: `crowd=${SHARDS}`,
  };
  const crowd = people(8);
  const owners = new Set(crowd.map((p) => shardOf(p.name, SHARDS)));
  assert.ok(owners.size >= 3, `subjects spread over ${owners.size} shards`);
  let w = await startWranglerDev({ vars, persistTo: persist });
  try {
    const api = client(w.url);
    for (const p of crowd) {
      for (const photo of p.photos.slice(0, 2)) {
        await api.enroll("crowd", p.name, photo);
        await api.enroll("plain", p.name, photo);
      }
    }
    for (const p of crowd) {
      const answers: Answer[] = [];
      for (const c of ["crowd", "plain"]) {
        const res = await api.identify(c, p.photos[2]);
        assert.equal(res.status, 200, await res.clone().text());
        answers.push((await res.json()) as Answer);
      }
      const [a, b] = answers;
      assert.equal(a.match?.subject, p.name, JSON.stringify(a.candidates));
      assert.deepEqual(
        a.candidates.map((c) => [c.subject, c.distance]),
        b.candidates.map((c) => [c.subject, c.distance]),
        "sharded and unsharded answers agree",
      );
      assert.equal(a.threshold, b.threshold);
      assert.equal(a.fpir?.faces, 16);
    }
    // A delete reaches the owning shard: the subject is never a candidate again.
    const gone = crowd[0];
    const del = await api.del(`/v1/collections/crowd/subjects/${gone.name}`);
    assert.ok(del.status === 200 || del.status === 204, String(del.status));
    await del.body?.cancel();
    const after = (await (await api.identify("crowd", gone.photos[2])).json()) as Answer;
    assert.ok(!after.candidates.some((c) => c.subject === gone.name));
    assert.equal(after.fpir?.faces, 14);
    // An expired subject never matches through the shards either (they hold no expiries: the
    // Worker drops candidates the store says have expired).
    const soon = crowd[3];
    const expiry = await fetch(`${w.url}/v1/collections/crowd/subjects/${soon.name}/expiry`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ expires_at: new Date(Date.now() + 1500).toISOString() }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    assert.equal(expiry.status, 200, await expiry.clone().text());
    await expiry.body?.cancel();
    const before = (await (await api.identify("crowd", soon.photos[2])).json()) as Answer;
    assert.equal(before.match?.subject, soon.name);
    await new Promise((r) => setTimeout(r, 2000));
    const expired = (await (await api.identify("crowd", soon.photos[2])).json()) as Answer;
    assert.ok(!expired.candidates.some((c) => c.subject === soon.name), JSON.stringify(expired));
    // The retention purge deletes the expired subject's rows from its shard too.
    const purge = await fetch(`${w.url}/v1/collections/crowd/purge`, {
      method: "POST",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    assert.equal(purge.status, 200, await purge.clone().text());
    const report = await purge.json();
    assert.equal(report.purged_subjects, 1, JSON.stringify(report));
    const purged = (await (await api.identify("crowd", crowd[1].photos[2])).json()) as Answer;
    assert.equal(purged.fpir?.faces, 14 - report.purged_faces, "the shards hold fewer rows");
  } finally {
    await w.stop();
  }

  // Restart on the same state: the shards' SQLite rows are still there (the Worker's memory store
  // is not, so only the shards can answer).
  w = await startWranglerDev({ vars, persistTo: persist });
  try {
    const res = await client(w.url).identify("crowd", crowd[1].photos[2]);
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Answer;
    assert.equal(body.match?.subject, crowd[1].name);
    assert.equal(body.fpir?.faces, 12, "16 enrolled, one subject deleted, one purged");
  } finally {
    await w.stop();
  }

  // One failing shard: identify fails whole with 503 store_unavailable.
  w = await startWranglerDev({
    vars: { ...vars, FACEGATE_SHARD_FAIL: `|crowd|2/${SHARDS}` },
    persistTo: persist,
  });
  try {
    const res = await client(w.url).identify("crowd", crowd[1].photos[2]);
    assert.equal(res.status, 503);
    assert.match(res.headers.get("content-type") ?? "", /problem\+json/);
    const problem = await res.json();
    assert.equal(problem.code ?? problem.type?.split("/").at(-1), "store_unavailable");
  } finally {
    await w.stop();
    await Deno.remove(persist, { recursive: true }).catch(() => {});
  }
});
