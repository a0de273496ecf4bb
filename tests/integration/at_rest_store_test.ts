/**
 * Encryption at rest, on the stores' own files: Deno KV (the SQLite file and its WAL) and a real
 * redis-server through the Upstash bridge (`dump.rdb` after `SAVE`, written uncompressed so a
 * plain template would be visible). Each scan is run on a plain store too, so the scanner is shown
 * to find what it looks for.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CollectionRef,
  type FaceStore,
  galleryRecordCreatedAt,
  KvFaceStore,
  packSealedGalleryRecord,
  redisCollectionKeys,
  stampGalleryRecord,
  type StoreEncryption,
  unpackSealedGalleryRecord,
  UpstashFaceStore,
} from "../../lib/store/mod.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { rejectsWithCode, unitVector } from "../lib/store/_contract.ts";
import { OTHER_MASTER_KEY, testKeyring } from "../_master_key.ts";
import { findPlain, readExisting } from "./_plain_scan.ts";
import { redisDump, type RedisFixture, redisKeyspace, withRedis } from "./_redis_fixture.ts";

const ref: CollectionRef = { model: "fr_feature@faceplugin-0.0.1", collection: "lobby" };
const SUBJECTS = ["zq-ann-7731", "zq-bob-4410", "zq-cy-9082"];
const SECRET_METADATA = "badge-77310-secret";

/** Enrolls two 512-d faces per subject (one with metadata); returns the embeddings. */
async function enroll(store: FaceStore): Promise<Map<string, Float32Array[]>> {
  const bySubject = new Map<string, Float32Array[]>();
  for (const s of SUBJECTS) {
    const list: Float32Array[] = [];
    for (let i = 0; i < 2; i++) {
      const embedding = unitVector(512);
      const metadata = i === 0 ? { badge: `${SECRET_METADATA}-${s}` } : undefined;
      await store.addFace(ref, s, { embedding, quality: 0.9, metadata });
      list.push(embedding);
    }
    bySubject.set(s, list);
  }
  return bySubject;
}

const all = (m: Map<string, Float32Array[]>) => [...m.values()].flat();
const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

/** A KV store on a fresh file; returns the store, its path and the directory. */
async function kvStore(dir: string, encryption: StoreEncryption): Promise<KvFaceStore> {
  return await KvFaceStore.open(`${dir}/faces.kv`, { prefix: ["facegate"], encryption });
}

Deno.test("Deno KV: the SQLite file and WAL hold no enrolled embedding in any plain encoding (a plain store does)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_" });
  const plainDir = await Deno.makeTempDir({ prefix: "facegate_atrest_plain_" });
  try {
    const keyring = await testKeyring();
    const store = await kvStore(dir, keyring);
    const enrolled = await enroll(store);
    await store.close();
    const files = ["faces.kv", "faces.kv-wal", "faces.kv-shm"].map((f) => `${dir}/${f}`);
    const raw = await readExisting(files);
    assert.ok(raw.length > 0);
    assert.deepEqual(findPlain(raw, all(enrolled)), []);
    assert.ok(!text(raw).includes(SECRET_METADATA), "metadata must be sealed too");

    // The control: the same scan finds every vector in a store written with encryption off.
    const plain = await kvStore(plainDir, "off");
    const plainEnrolled = await enroll(plain);
    await plain.close();
    const plainRaw = await readExisting(files.map((f) => f.replace(dir, plainDir)));
    const found = findPlain(plainRaw, all(plainEnrolled));
    for (let k = 0; k < all(plainEnrolled).length; k++) {
      assert.ok(found.includes(`#${k}:float32le@0`), `vector ${k} not found plain: ${found}`);
    }
    assert.ok(text(plainRaw).includes(SECRET_METADATA));

    // Restart with the same key: everything reads back; with another key: store_key_unavailable.
    const again = await kvStore(dir, keyring);
    const g = await again.gallery(ref);
    assert.equal(g.faceIds.length, 6);
    const ann = await again.getSubject(ref, SUBJECTS[0]);
    assert.deepEqual(
      ann?.faces.map((f) => Array.from(f.embedding)).sort(),
      enrolled.get(SUBJECTS[0])!.map((e) => Array.from(e)).sort(),
    );
    assert.equal(
      ann?.faces.find((f) => f.metadata)?.metadata?.badge,
      `${SECRET_METADATA}-${SUBJECTS[0]}`,
    );
    await again.close();
    const other = await kvStore(dir, await testKeyring(OTHER_MASTER_KEY));
    await rejectsWithCode(other.gallery(ref), "store_key_unavailable");
    await rejectsWithCode(other.getSubject(ref, SUBJECTS[1]), "store_key_unavailable");
    await assert.rejects(
      other.gallery(ref),
      new RegExp(`master key ${keyring.newest.id} is not configured`),
    );
    await other.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(plainDir, { recursive: true });
  }
});

Deno.test("Deno KV: a face record moved to another subject is refused (never read, counted) instead of matching", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_" });
  try {
    const store = await kvStore(dir, await testKeyring());
    const bob = await store.addFace(ref, "bob", { embedding: unitVector(512), quality: 0.9 });
    const ann = await store.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.9 });
    const kv = await Deno.openKv(`${dir}/faces.kv`);
    const base = ["facegate", "v1", ref.model, ref.collection, "f"];
    const entry = await kv.get([...base, "ann", ann.id]);
    assert.ok(entry.value);
    // Claim ann's template for bob, under the same face id, as an attacker with write access would.
    await kv.set([...base, "bob", ann.id], entry.value);
    kv.close();
    assert.deepEqual((await store.getSubject(ref, "bob"))?.faces.map((f) => f.id), [bob.id]);
    const g = await store.gallery(ref);
    assert.deepEqual([...g.faceIds].sort(), [ann.id, bob.id].sort());
    assert.equal(g.faceIds.length, 2, "the moved copy is not in the gallery");
    assert.equal(store.refusedRecords, 2);
    assert.equal((await store.getSubject(ref, "ann"))?.faces.length, 1);
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Deno KV: after deleting a subject no key or value mentions it or holds its template", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_" });
  try {
    for (const encryption of [await testKeyring(), "off" as const]) {
      const store = await kvStore(dir, encryption);
      const enrolled = await enroll(store);
      const gone = SUBJECTS[1];
      assert.equal(await store.deleteSubject(ref, gone), true);
      await store.close();
      const kv = await Deno.openKv(`${dir}/faces.kv`);
      let keys = 0;
      const survivors: Float32Array[] = [];
      for await (const e of kv.list({ prefix: [] })) {
        keys++;
        const dump = JSON.stringify(e.key) +
          JSON.stringify(e.value, (_k, v) => v instanceof Uint8Array ? Array.from(v) : v);
        assert.ok(!dump.includes(gone), `key ${JSON.stringify(e.key)} still mentions ${gone}`);
        const value = e.value as { embedding?: Uint8Array };
        if (value?.embedding instanceof Uint8Array) {
          survivors.push(new Float32Array(value.embedding.slice().buffer));
        }
        const raw = new TextEncoder().encode(dump);
        assert.deepEqual(findPlain(raw, enrolled.get(gone)!), []);
      }
      assert.ok(keys > 4, `${keys} keys`);
      // With encryption off the other subjects' templates are there in plain: the scan would see them.
      if (encryption === "off") assert.equal(survivors.length, 4);
      for await (const e of kv.list({ prefix: [] })) await kv.delete(e.key);
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function upstash(fx: RedisFixture, prefix: string, encryption: StoreEncryption): UpstashFaceStore {
  return new UpstashFaceStore({ url: fx.bridge.url, token: fx.bridge.token, prefix, encryption });
}

Deno.test("Redis: the RDB dump holds no enrolled embedding in any plain encoding (a plain store's does)", async () => {
  await withRedis(async (fx) => {
    const keyring = await testKeyring();
    const store = upstash(fx, "sealed:", keyring);
    const enrolled = await enroll(store);
    const dump = await redisDump(fx);
    assert.deepEqual(findPlain(dump, all(enrolled)), []);
    assert.ok(!text(dump).includes(SECRET_METADATA), "metadata must be sealed too");

    const plain = upstash(fx, "plain:", "off");
    const plainEnrolled = await enroll(plain);
    const plainDump = await redisDump(fx);
    const found = findPlain(plainDump, all(plainEnrolled));
    for (let k = 0; k < all(plainEnrolled).length; k++) {
      assert.ok(found.some((f) => f.startsWith(`#${k}:base64`)), `vector ${k} not found: ${found}`);
    }
    assert.ok(text(plainDump).includes(SECRET_METADATA));
    assert.deepEqual(findPlain(dump, all(enrolled)), [], "the sealed store is still clean");

    // A new client with the same key reads everything; one with another key cannot.
    const again = upstash(fx, "sealed:", await testKeyring());
    assert.equal((await again.gallery(ref)).faceIds.length, 6);
    const bob = await again.getSubject(ref, SUBJECTS[1]);
    assert.deepEqual(
      bob?.faces.map((f) => Array.from(f.embedding)).sort(),
      enrolled.get(SUBJECTS[1])!.map((e) => Array.from(e)).sort(),
    );
    assert.equal(
      bob?.faces.find((f) => f.metadata)?.metadata?.badge,
      `${SECRET_METADATA}-${SUBJECTS[1]}`,
    );
    const other = upstash(fx, "sealed:", await testKeyring(OTHER_MASTER_KEY));
    await rejectsWithCode(other.gallery(ref), "store_key_unavailable");
    await assert.rejects(other.getSubject(ref, SUBJECTS[0]), new RegExp(keyring.newest.id));
  });
});

Deno.test("Redis: a gallery record moved to another subject is refused (never read, counted) instead of matching", async () => {
  await withRedis(async (fx) => {
    const store = upstash(fx, "mv:", await testKeyring());
    const ann = await store.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.9 });
    await store.addFace(ref, "bob", { embedding: unitVector(512), quality: 0.9 });
    const keys = redisCollectionKeys(ref, "mv:");
    const conn = await RespConnection.connect(fx.redis.port);
    try {
      const packed = new TextDecoder().decode(
        await conn.call("HGET", keys.gallery, ann.id) as Uint8Array,
      );
      const row = unpackSealedGalleryRecord(packed)!;
      assert.equal(row.subject, "ann");
      // Re-label ann's sealed template as bob's.
      await conn.call(
        "HSET",
        keys.gallery,
        ann.id,
        stampGalleryRecord(
          packSealedGalleryRecord("bob", row.keyId, row.sealed),
          galleryRecordCreatedAt(packed)!,
        ),
      );
    } finally {
      conn.close();
    }
    // Re-labelled, the row opens for neither subject: the gallery holds bob's face only.
    assert.equal((await store.gallery(ref)).faceIds.length, 1);
    assert.equal((await store.getSubject(ref, "ann"))?.faces.length, 0);
    assert.equal(store.refusedRecords, 2);
  });
});

Deno.test("Redis: after deleting a subject no key or value mentions it or holds its template", async () => {
  await withRedis(async (fx) => {
    for (const [prefix, encryption] of [["s:", await testKeyring()], ["p:", "off"]] as const) {
      const store = upstash(fx, prefix, encryption);
      const enrolled = await enroll(store);
      const gone = SUBJECTS[2];
      assert.equal(await store.deleteSubject(ref, gone), true);
      const space = await redisKeyspace(fx.redis.port);
      let mine = 0;
      for (const [key, value] of space) {
        if (!key.startsWith(prefix)) continue;
        mine++;
        assert.ok(!key.includes(gone) && !value.includes(gone), `${key} still mentions ${gone}`);
        assert.deepEqual(findPlain(new TextEncoder().encode(value), enrolled.get(gone)!), []);
      }
      assert.ok(mine >= 5, `${mine} keys`);
      if (encryption === "off") {
        // The control: the survivors' plain templates are visible to the same scan.
        const values = new TextEncoder().encode([...space.values()].join("\n"));
        assert.ok(findPlain(values, enrolled.get(SUBJECTS[0])!).length > 0);
      }
    }
  });
});

Deno.test("deleting a collection deletes its data key too, on Deno KV and on Redis", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_" });
  try {
    const store = await kvStore(dir, await testKeyring());
    await enroll(store);
    const kv = await Deno.openKv(`${dir}/faces.kv`);
    const dek = ["facegate", "dek", "v1", ref.model, ref.collection];
    assert.ok((await kv.get(dek)).value, "the collection has a data key");
    assert.equal(await store.deleteCollection(ref), 6);
    assert.equal((await kv.get(dek)).value, null);
    const left: unknown[] = [];
    for await (const e of kv.list({ prefix: ["facegate"] })) {
      if (!(e.key.length === 5 && e.key[4] === "version")) left.push(e.key);
    }
    assert.deepEqual(left, [], "only the gallery version token remains");
    // Enrolling again makes a new data key.
    await store.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.5 });
    assert.ok((await kv.get(dek)).value);
    kv.close();
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  await withRedis(async (fx) => {
    const store = upstash(fx, "dc:", await testKeyring());
    await enroll(store);
    const keys = redisCollectionKeys(ref, "dc:");
    const before = await redisKeyspace(fx.redis.port);
    assert.ok(before.has(keys.dataKey));
    assert.equal(await store.deleteCollection(ref), 6);
    const after = [...(await redisKeyspace(fx.redis.port)).keys()];
    assert.deepEqual(after, [keys.version]);
    await store.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.5 });
    assert.equal((await store.getSubject(ref, "ann"))?.faces.length, 1);
  });
});
