/**
 * Sealed-only reads (issue 20, item 1): with encryption on, a face record that is not a valid
 * sealed envelope for exactly its (recipe, collection, subject, face, creation time) is refused —
 * never matched, counted and logged — on Deno KV and on a real redis-server through the Upstash
 * bridge. The attack: the attacker's own embedding (from `/v1/embed`) written in plain form into
 * the victim's subject. A control on an encryption-off store shows the planted record is one the
 * store would otherwise match, so these tests can fail.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CollectionRef,
  encodeEmbedding,
  type FaceStore,
  galleryRecordCreatedAt,
  kvCollectionKeys,
  KvFaceStore,
  packGalleryRecord,
  redisCollectionKeys,
  type RefusedRecord,
  stampGalleryRecord,
  UpstashFaceStore,
} from "../../lib/store/mod.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { TEST_MASTER_KEY, testKeyring } from "../_master_key.ts";
import { json, makeApp, PHOTOS, postImage } from "../functions/_fixtures.ts";
import { redisTest, withRedis } from "./_redis_fixture.ts";
import { AAD_V1_COMMIT, previousLib } from "./_previous_lib.ts";

/** Writes a plain face record of `subject` straight into the backend, as a store writer could. */
type Plant = (
  ref: CollectionRef,
  subject: string,
  faceId: string,
  e: Float32Array,
) => Promise<void>;

interface Verdicts {
  verify: { match: boolean; distance: number };
  identified: string | null;
}

/** Verifies the attacker's second photo as `victim` and identifies it in `collection`. */
async function probe(
  app: ReturnType<typeof makeApp>["app"],
  collection: string,
): Promise<Verdicts> {
  const v = await json<{ match: boolean; distance: number }>(
    await app.request(
      `/v1/collections/${collection}/subjects/victim/verify`,
      postImage(PHOTOS.arnold2),
    ),
  );
  const id = await json<{ match: { subject: string } | null }>(
    await app.request(`/v1/collections/${collection}/identify`, postImage(PHOTOS.arnold2)),
  );
  return { verify: v, identified: id.match?.subject ?? null };
}

/** The attacker's embedding of their own photo, and the recipe id it was made with. */
async function attackerEmbedding(app: ReturnType<typeof makeApp>["app"]) {
  const body = await json<{ faces: { embedding: number[] }[]; model: string }>(
    await app.request("/v1/embed", postImage(PHOTOS.arnold1)),
  );
  return { embedding: new Float32Array(body.faces[0].embedding), model: body.model };
}

/**
 * The scenario on one backend: `sealed` has encryption on, `plain` (same backend, encryption off)
 * is the control.
 */
async function plantedPlainRecordNeverMatches(
  sealed: FaceStore & { refusedRecords: number },
  plain: FaceStore,
  plant: Plant,
  refused: RefusedRecord[],
): Promise<void> {
  const { app, logs } = makeApp({ store: sealed });
  await json(
    await app.request("/v1/collections/gate/subjects/victim/faces", postImage(PHOTOS.serena1)),
    201,
  );
  const { embedding, model } = await attackerEmbedding(app);
  const before = await probe(app, "gate");
  assert.equal(before.verify.match, false);

  // The control: on an encryption-off store the same plant is a face like any other.
  const control = makeApp({ store: plain }).app;
  await json(
    await control.request("/v1/collections/ctl/subjects/victim/faces", postImage(PHOTOS.serena1)),
    201,
  );
  await plant({ model, collection: "ctl" }, "victim", "planted0000000001", embedding);
  const hijacked = await probe(control, "ctl");
  assert.equal(hijacked.verify.match, true, "the control plant verifies as the victim");
  assert.equal(hijacked.identified, "victim");

  // With encryption on the planted record is refused: never matched, counted, logged.
  await plant({ model, collection: "gate" }, "victim", "planted0000000001", embedding);
  const after = await probe(app, "gate");
  assert.equal(after.verify.match, false, "a planted plain record never verifies");
  assert.ok(Math.abs(after.verify.distance - before.verify.distance) < 1e-3);
  assert.notEqual(after.identified, "victim", "a planted plain record is never identified");
  const subject = await sealed.getSubject({ model, collection: "gate" }, "victim");
  assert.deepEqual(subject?.faces.map((f) => f.id).includes("planted0000000001"), false);
  assert.ok(sealed.refusedRecords >= 2, `refused ${sealed.refusedRecords}`);
  assert.ok(refused.every((r) => r.reason === "plain" && r.face_id === "planted0000000001"));
  assert.ok(refused.some((r) => r.collection === "gate" && r.subject === "victim"));
  assert.equal(logs.filter((l) => l.level === "error" && l.status === 500).length, 0);

  // A start counts them (the control's face and both plants); only the migration makes plain
  // data usable (an operator's act, after checking the store).
  assert.equal(await (sealed as unknown as KvFaceStore).countPlainRecords(), 3);
}

Deno.test("Deno KV: a plain record planted in a subject is never matched by verify nor identify", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_sealed_only_" });
  const path = `${dir}/faces.kv`;
  const refused: RefusedRecord[] = [];
  const sealed = await KvFaceStore.open(path, {
    encryption: await testKeyring(),
    onRefused: (r) => refused.push(r),
  });
  const plain = await KvFaceStore.open(path, { encryption: "off" });
  const kv = await Deno.openKv(path);
  try {
    await plantedPlainRecordNeverMatches(sealed, plain, async (ref, subject, faceId, e) => {
      const keys = kvCollectionKeys(ref, ["facegate"]);
      const record = {
        embedding: encodeEmbedding(e),
        quality: 0.9,
        created_at: new Date().toISOString(),
      };
      await kv.atomic().set(keys.face(subject, faceId), record)
        .set(keys.version, crypto.randomUUID()).commit();
    }, refused);
  } finally {
    kv.close();
    await sealed.close();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest(
  "Redis: a plain gallery row planted in a subject is never matched by verify nor identify",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const opts = { url: bridge.url, token: bridge.token, prefix: "so:" };
      const refused: RefusedRecord[] = [];
      const sealed = new UpstashFaceStore({
        ...opts,
        encryption: await testKeyring(),
        onRefused: (r) => refused.push(r),
      });
      const plain = new UpstashFaceStore({ ...opts, encryption: "off" });
      const conn = await RespConnection.connect(redis.port);
      try {
        await plantedPlainRecordNeverMatches(sealed, plain, async (ref, subject, faceId, e) => {
          const keys = redisCollectionKeys(ref, "so:");
          const now = new Date();
          const row = stampGalleryRecord(packGalleryRecord(subject, e), now.getTime());
          await conn.call("HSET", keys.gallery, faceId, row);
          await conn.call("HSET", keys.faces(subject), faceId, JSON.stringify({ q: 0.9, c: now }));
          await conn.call("SET", keys.version, crypto.randomUUID());
        }, refused);
      } finally {
        conn.close();
      }
    });
  },
);

Deno.test("Deno KV: a sealed face whose created_at was moved (a younger face) is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_sealed_only_" });
  const path = `${dir}/faces.kv`;
  const ref = { model: "m@1", collection: "gate" };
  const store = await KvFaceStore.open(path, { encryption: await testKeyring() });
  const kv = await Deno.openKv(path);
  try {
    const e = new Float32Array(512).fill(1 / Math.sqrt(512));
    const face = await store.addFace(ref, "ann", { embedding: e, quality: 0.9 });
    assert.equal((await store.gallery(ref)).faceIds.length, 1);
    const key = kvCollectionKeys(ref, ["facegate"]).face("ann", face.id);
    const entry = await kv.get<Record<string, unknown>>(key);
    assert.equal(entry.value?.a, 2, "new records bind their creation time");
    const younger = new Date(Date.parse(face.created_at) + 86_400_000).toISOString();
    await kv.set(key, { ...entry.value, created_at: younger });
    assert.equal((await store.gallery(ref)).faceIds.length, 0);
    assert.equal((await store.getSubject(ref, "ann"))?.faces.length, 0);
    assert.equal(store.refusedRecords, 2);
    // Put back, it opens again.
    await kv.set(key, entry.value);
    assert.equal((await store.gallery(ref)).faceIds.length, 1);
  } finally {
    kv.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

redisTest("Redis: a sealed gallery row whose creation stamp was moved is refused", async () => {
  await withRedis(async ({ redis, bridge }) => {
    const ref = { model: "m@1", collection: "gate" };
    const store = new UpstashFaceStore({
      url: bridge.url,
      token: bridge.token,
      prefix: "st:",
      encryption: await testKeyring(),
    });
    const e = new Float32Array(512).fill(1 / Math.sqrt(512));
    const face = await store.addFace(ref, "ann", { embedding: e, quality: 0.9 });
    const keys = redisCollectionKeys(ref, "st:");
    const conn = await RespConnection.connect(redis.port);
    try {
      const row = new TextDecoder().decode(
        await conn.call("HGET", keys.gallery, face.id) as Uint8Array,
      );
      assert.match(row, /^c1\.[0-9a-z]+\.e2\./);
      const younger = stampGalleryRecord(row, Date.parse(face.created_at) + 86_400_000);
      await conn.call("HSET", keys.gallery, face.id, younger);
      assert.equal((await store.gallery(ref)).faceIds.length, 0);
      assert.equal((await store.getSubject(ref, "ann"))?.faces.length, 0);
      assert.equal(store.refusedRecords, 2);
      await conn.call("HSET", keys.gallery, face.id, row);
      assert.equal((await store.gallery(ref)).faceIds.length, 1);
    } finally {
      conn.close();
    }
  });
});

const v1 = await previousLib(AAD_V1_COMMIT);

Deno.test({
  name: "records sealed by the previous version (v1 AAD) still open on Deno KV and on Redis",
  ignore: v1 === null,
  fn: async () => {
    const old = await import(`file://${v1}/lib/store/mod.ts`);
    const ref = { model: "m@1", collection: "gate" };
    const e = new Float32Array(512).fill(1 / Math.sqrt(512));
    const dir = await Deno.makeTempDir({ prefix: "facegate_sealed_only_" });
    try {
      const path = `${dir}/faces.kv`;
      const before: FaceStore = await old.KvFaceStore.open(path, {
        encryption: await old.MasterKeyring.fromText(TEST_MASTER_KEY),
      });
      await before.addFace(ref, "ann", { embedding: e, quality: 0.9, metadata: { n: 1 } });
      await before.close();
      const store = await KvFaceStore.open(path, { encryption: await testKeyring() });
      assert.equal((await store.gallery(ref)).faceIds.length, 1);
      assert.deepEqual((await store.getSubject(ref, "ann"))?.faces[0].metadata, { n: 1 });
      assert.equal(store.refusedRecords, 0);
      // v1 binds no creation time: re-dating it goes unnoticed until encrypt-existing re-seals it.
      const kv = await Deno.openKv(path);
      const [entry] = await Array.fromAsync(kv.list<Record<string, unknown>>({
        prefix: ["facegate", "v1", ref.model, ref.collection, "f"],
      }));
      const redate = (v: Record<string, unknown>) =>
        kv.set(entry.key, { ...v, created_at: "2099-01-01T00:00:00.000Z" });
      await redate(entry.value);
      assert.equal((await store.gallery(ref)).faceIds.length, 1, "v1: re-dated and still read");
      await kv.set(entry.key, entry.value);
      assert.equal(await store.resealLegacyRecords(), 1);
      assert.equal(await store.resealLegacyRecords(), 0);
      const resealed = (await kv.get<Record<string, unknown>>(entry.key)).value!;
      assert.equal(resealed.a, 2);
      assert.deepEqual((await store.getSubject(ref, "ann"))?.faces[0].embedding, e);
      assert.deepEqual((await store.getSubject(ref, "ann"))?.faces[0].metadata, { n: 1 });
      await redate(resealed);
      assert.equal((await store.gallery(ref)).faceIds.length, 0, "v2: re-dated is refused");
      kv.close();
      await store.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    await withRedis(async ({ bridge, redis }) => {
      const opts = { url: bridge.url, token: bridge.token, prefix: "v1:" };
      const before: FaceStore = new old.UpstashFaceStore({
        ...opts,
        encryption: await old.MasterKeyring.fromText(TEST_MASTER_KEY),
      });
      await before.addFace(ref, "ann", { embedding: e, quality: 0.9, metadata: { n: 1 } });
      const store = new UpstashFaceStore({ ...opts, encryption: await testKeyring() });
      assert.equal((await store.gallery(ref)).faceIds.length, 1);
      assert.deepEqual((await store.getSubject(ref, "ann"))?.faces[0].metadata, { n: 1 });
      assert.equal(store.refusedRecords, 0);
      assert.equal(await store.resealLegacyRecords(), 1);
      assert.equal(await store.resealLegacyRecords(), 0);
      const conn = await RespConnection.connect(redis.port);
      try {
        const keys = redisCollectionKeys(ref, "v1:");
        const [faceId, row] = (await conn.call("HGETALL", keys.gallery) as Uint8Array[])
          .map((b) => new TextDecoder().decode(b));
        assert.match(row, /^c1\.[0-9a-z]+\.e2\./);
        assert.deepEqual((await store.getSubject(ref, "ann"))?.faces[0].embedding, e);
        const redated = stampGalleryRecord(row, galleryRecordCreatedAt(row)! + 86_400_000);
        await conn.call("HSET", keys.gallery, faceId, redated);
        assert.equal((await store.gallery(ref)).faceIds.length, 0, "v2: re-dated is refused");
      } finally {
        conn.close();
      }
    });
  },
});
