/**
 * Master key rotation (`deno task keys rotate-master`) and the migration of stores written by the
 * previous version (`deno task keys encrypt-existing`), on Deno KV and on a real redis-server
 * through the bridge. The "previous version" is the code at commit cff5dd9, the last one before
 * encryption at rest, checked out of this repository's history.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CollectionRef,
  type FaceStore,
  KvFaceStore,
  UpstashFaceStore,
} from "../../lib/store/mod.ts";
import { rejectsWithCode, unitVector } from "../lib/store/_contract.ts";
import { OTHER_MASTER_KEY, TEST_MASTER_KEY, testKeyring } from "../_master_key.ts";
import { findPlain, readExisting } from "./_plain_scan.ts";
import { withRedis } from "./_redis_fixture.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";

const ROOT = new URL("../../", import.meta.url);
const PREVIOUS = "cff5dd9";
const refs: CollectionRef[] = [
  { model: "fr_feature@faceplugin-0.0.1", collection: "lobby" },
  { model: "fr_feature@faceplugin-0.0.1", collection: "staff" },
];

async function enroll(store: FaceStore, n = 3): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const ref of refs) {
    for (let i = 0; i < n; i++) {
      const embedding = unitVector(512);
      await store.addFace(ref, `p${i}`, { embedding, quality: 0.8, metadata: { n: i } });
      out.push(embedding);
    }
  }
  return out;
}

/** Every key and value of the KV file, as JSON (bytes as arrays). */
async function kvSnapshot(path: string): Promise<string> {
  const kv = await Deno.openKv(path);
  const rows: string[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    rows.push(JSON.stringify([e.key, e.value], (_k, v) => v instanceof Uint8Array ? [...v] : v));
  }
  kv.close();
  return rows.join("\n");
}

/** The snapshot's text followed by the raw bytes of every byte-array value, for scanning. */
async function kvBytes(path: string): Promise<Uint8Array> {
  const kv = await Deno.openKv(path);
  const parts: Uint8Array[] = [new TextEncoder().encode(await kvSnapshot(path))];
  for await (const e of kv.list<Record<string, unknown>>({ prefix: [] })) {
    for (const v of Object.values(e.value ?? {})) if (v instanceof Uint8Array) parts.push(v);
  }
  kv.close();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length + 1;
  }
  return out;
}

async function keysCli(env: Record<string, string>, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/keys.ts", ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task keys rotate-master re-wraps every data key on Deno KV without touching a template", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_rotate_" });
  const path = `${dir}/facegate.kv`;
  try {
    const old = await testKeyring();
    const store = await KvFaceStore.open(path, { encryption: old });
    const vectors = await enroll(store);
    await store.close();
    const faceRows = (s: string) => s.split("\n").filter((r) => r.includes('"f"')).join("\n");
    const before = await kvSnapshot(path);

    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      FACEGATE_STORE: "kv",
      FACEGATE_KV_PATH: path,
      FACEGATE_MASTER_KEY: `${OTHER_MASTER_KEY},${TEST_MASTER_KEY}`,
    };
    const run = await keysCli(env, "rotate-master", "--json");
    assert.equal(run.code, 0, run.stderr);
    const newest = await testKeyring(OTHER_MASTER_KEY);
    assert.deepEqual(JSON.parse(run.stdout), {
      collections: 2,
      rewrapped: 2,
      master_key_id: newest.newest.id,
    });
    const after = await kvSnapshot(path);
    assert.equal(faceRows(after), faceRows(before), "face records are untouched");
    assert.notEqual(after, before, "the data keys are re-wrapped");
    assert.deepEqual(
      JSON.parse((await keysCli(env, "rotate-master", "--json")).stdout).rewrapped,
      0,
    );

    // The old key can go: the new one alone reads everything; the old one alone reads nothing.
    const rotated = await KvFaceStore.open(path, { encryption: newest });
    const g = await rotated.gallery(refs[0]);
    assert.equal(g.faceIds.length, 3);
    assert.deepEqual(Array.from(g.vectors.subarray(0, 512)), Array.from(vectors[0]));
    await rotated.close();
    const stale = await KvFaceStore.open(path, { encryption: old });
    await rejectsWithCode(stale.gallery(refs[1]), "store_key_unavailable");
    await assert.rejects(stale.rotateMasterKey(), new RegExp(`master key ${newest.newest.id}`));
    await stale.close();
    // A missing key fails the CLI loudly (exit 2, the key id named), nothing is skipped.
    const bad = await keysCli({ ...env, FACEGATE_MASTER_KEY: TEST_MASTER_KEY }, "rotate-master");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`master key ${newest.newest.id} is not configured`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UpstashFaceStore.rotateMasterKey() re-wraps every data key on Redis", async () => {
  await withRedis(async ({ bridge }) => {
    const opts = { url: bridge.url, token: bridge.token, prefix: "rot:" };
    const store = new UpstashFaceStore({ ...opts, encryption: await testKeyring() });
    await enroll(store);
    const both = await testKeyring(`${OTHER_MASTER_KEY},${TEST_MASTER_KEY}`);
    const rotating = new UpstashFaceStore({ ...opts, encryption: both });
    assert.deepEqual(await rotating.rotateMasterKey(), {
      collections: 2,
      rewrapped: 2,
      master_key_id: both.newest.id,
    });
    const newest = new UpstashFaceStore({
      ...opts,
      encryption: await testKeyring(OTHER_MASTER_KEY),
    });
    assert.equal((await newest.gallery(refs[1])).faceIds.length, 3);
    assert.equal((await newest.getSubject(refs[0], "p1"))?.faces[0].metadata?.n, 1);
    const stale = new UpstashFaceStore({ ...opts, encryption: await testKeyring() });
    await rejectsWithCode(stale.gallery(refs[0]), "store_key_unavailable");
  });
});

/** Extracts `lib/` of the previous version into a temp dir; null when git history is missing. */
async function previousLib(): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "facegate_prev_" });
  const archive = await new Deno.Command("sh", {
    args: ["-c", `git archive ${PREVIOUS} lib | tar -x -C "${dir}"`],
    cwd: ROOT,
    stderr: "piped",
  }).output();
  if (archive.code !== 0) {
    await Deno.remove(dir, { recursive: true });
    return null;
  }
  return dir;
}

const previous = await previousLib();
const hasHistory = previous !== null;
addEventListener("unload", () => {
  if (previous) Deno.removeSync(previous, { recursive: true });
});

Deno.test({
  name:
    "a Deno KV store written by the previous version is refused until encrypt-existing seals it in place",
  ignore: !hasHistory,
  fn: async () => {
    const mod = await import(`file://${previous}/lib/store/mod.ts`);
    const dir = await Deno.makeTempDir({ prefix: "facegate_migrate_" });
    const path = `${dir}/facegate.kv`;
    try {
      const oldStore: FaceStore = await mod.KvFaceStore.open(path);
      const vectors = await enroll(oldStore);
      await oldStore.close();
      const plainBefore = findPlain(await kvBytes(path), vectors);
      assert.ok(plainBefore.length >= vectors.length, "the old version wrote plain templates");

      // With encryption on, the new version refuses the plain records (sealed-only reads) and
      // counts them; encryption off still reads them...
      const store = await KvFaceStore.open(path, { encryption: await testKeyring() });
      assert.equal((await store.gallery(refs[0])).faceIds.length, 0);
      assert.equal((await store.getSubject(refs[1], "p2"))?.faces.length, 0);
      assert.equal(await store.countPlainRecords(), 6);
      await store.close();
      const off = await KvFaceStore.open(path, { encryption: "off" });
      const g = await off.gallery(refs[0]);
      assert.deepEqual(Array.from(g.vectors.subarray(0, 512)), Array.from(vectors[0]));
      assert.deepEqual((await off.getSubject(refs[1], "p2"))?.faces[0].metadata, { n: 2 });
      await off.close();

      // ...and the task seals them: afterwards no value holds a template in any plain encoding.
      const env = {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        FACEGATE_STORE: "kv",
        FACEGATE_KV_PATH: path,
        FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
      };
      const run = await keysCli(env, "encrypt-existing", "--json");
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), { sealed: 6, resealed: 0 });
      assert.deepEqual(JSON.parse((await keysCli(env, "encrypt-existing", "--json")).stdout), {
        sealed: 0,
        resealed: 0,
      });
      const snapshot = await kvSnapshot(path);
      assert.deepEqual(findPlain(await kvBytes(path), vectors), []);
      assert.ok(!snapshot.includes('"n":2'), "metadata is sealed too");
      const sealed = await KvFaceStore.open(path, { encryption: await testKeyring() });
      const after = await sealed.gallery(refs[1]);
      assert.deepEqual(Array.from(after.vectors.subarray(512, 1024)), Array.from(vectors[4]));
      assert.deepEqual((await sealed.getSubject(refs[1], "p2"))?.faces[0].metadata, { n: 2 });
      await sealed.close();
      const wrongKey = await KvFaceStore.open(path, {
        encryption: await testKeyring(OTHER_MASTER_KEY),
      });
      await rejectsWithCode(wrongKey.gallery(refs[0]), "store_key_unavailable");
      await wrongKey.close();
      // What SQLite may keep of the old plain pages is reported, not asserted (see README).
      const raw = await readExisting([path, `${path}-wal`]);
      console.error(`raw file after migration: ${findPlain(raw, vectors).length} plain windows`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a Redis store written by the previous version is refused until sealed in place",
  ignore: !hasHistory,
  fn: async () => {
    const mod = await import(`file://${previous}/lib/store/mod.ts`);
    await withRedis(async ({ redis, bridge }) => {
      const opts = { url: bridge.url, token: bridge.token, prefix: "old:" };
      const oldStore: FaceStore = new mod.UpstashFaceStore(opts);
      const vectors = await enroll(oldStore);
      const store = new UpstashFaceStore({ ...opts, encryption: await testKeyring() });
      assert.equal((await store.getSubject(refs[0], "p0"))?.faces.length, 0, "refused");
      assert.equal(await store.countPlainRecords(), 6);
      const off = new UpstashFaceStore({ ...opts, encryption: "off" });
      assert.deepEqual((await off.getSubject(refs[0], "p0"))?.faces[0].embedding, vectors[0]);
      assert.equal(await store.sealPlainRecords(), 6);
      assert.equal(await store.countPlainRecords(), 0);
      assert.deepEqual((await store.getSubject(refs[0], "p0"))?.faces[0].embedding, vectors[0]);
      assert.equal(await store.sealPlainRecords(), 0);
      const conn = await RespConnection.connect(redis.port);
      try {
        await conn.call("CONFIG", "SET", "rdbcompression", "no");
        await conn.call("SAVE");
      } finally {
        conn.close();
      }
      const dump = await Deno.readFile(`${redis.dir}/dump.rdb`);
      assert.deepEqual(findPlain(dump, vectors), []);
      assert.ok(!new TextDecoder().decode(dump).includes('{\\"n\\":2}'));
      const g = await store.gallery(refs[1]);
      assert.equal(g.faceIds.length, 3);
      assert.deepEqual((await store.getSubject(refs[1], "p2"))?.faces[0].metadata, { n: 2 });
      const wrongKey = new UpstashFaceStore({
        ...opts,
        encryption: await testKeyring(OTHER_MASTER_KEY),
      });
      await rejectsWithCode(wrongKey.gallery(refs[0]), "store_key_unavailable");
    });
  },
});
