import assert from "node:assert/strict";
import {
  galleryRecordCreatedAt,
  redisCollectionKeys,
  unpackSealedGalleryRecord,
  UpstashFaceStore,
} from "../../lib/store/mod.ts";
import { expiredFaces } from "../../lib/match/mod.ts";
import { retentionScenario, testClock } from "../functions/_retention_scenario.ts";
import { unitVector } from "../lib/store/_contract.ts";
import { testKeyring } from "../_master_key.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { redisKeyspace, redisTest, withRedis, withUpstashBackend } from "./_redis_fixture.ts";
import { AAD_V1_COMMIT, previousLib } from "./_previous_lib.ts";

const v1 = await previousLib(AAD_V1_COMMIT);

/** Every key under `prefix` and a text dump of its value, audit keys left out (they keep ids). */
async function keyspace(port: number, prefix: string): Promise<Map<string, string>> {
  const all = await redisKeyspace(port, `${prefix}*`);
  for (const key of [...all.keys()]) if (key.endsWith(":audit")) all.delete(key);
  return all;
}

redisTest(
  "retention on Redis through the bridge: old and expired faces never match and are purged",
  async (t) => {
    const clock = testClock();
    await withUpstashBackend("ret", async (backend, { redis, prefix }) => {
      await retentionScenario(t, backend, clock, () => keyspace(redis.port, prefix));
    }, { now: clock.now });
  },
);

redisTest(
  "a Redis gallery row written before retention (no creation stamp) still loads, aged from its face record",
  async () => {
    await withRedis(async (fx) => {
      const ref = { model: "fr_feature@faceplugin-0.0.1", collection: "legacy" };
      let t = Date.parse("2026-01-01T00:00:00Z");
      const store = new UpstashFaceStore({
        url: fx.bridge.url,
        token: fx.bridge.token,
        prefix: "lg:",
        encryption: await testKeyring(),
        now: () => new Date(t),
      });
      // The old face is written by the previous version (AAD v1), as rows before stamps were.
      assert.ok(v1, `this test needs the git history (commit ${AAD_V1_COMMIT})`);
      const prev = await import(`file://${v1}/lib/store/mod.ts`);
      const before = new prev.UpstashFaceStore({
        url: fx.bridge.url,
        token: fx.bridge.token,
        prefix: "lg:",
        encryption: await testKeyring(),
        now: () => new Date(t),
      });
      const old = await before.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.9 });
      t += 10 * 86_400_000;
      const young = await store.addFace(ref, "ann", { embedding: unitVector(512), quality: 0.9 });
      const keys = redisCollectionKeys(ref, "lg:");
      const conn = await RespConnection.connect(fx.redis.port);
      try {
        // Strip the stamp of the old row, as a row written by the previous version looks.
        const packed = new TextDecoder().decode(
          await conn.call("HGET", keys.gallery, old.id) as Uint8Array,
        );
        assert.equal(galleryRecordCreatedAt(packed), Date.parse(old.created_at));
        const legacy = packed.replace(/^c1\.[0-9a-z]+\./, "");
        assert.ok(legacy.startsWith("e1.") && unpackSealedGalleryRecord(legacy) !== null);
        await conn.call("HSET", keys.gallery, old.id, legacy);
      } finally {
        conn.close();
      }
      const g = await store.gallery(ref);
      assert.deepEqual(g.faceIds, [old.id, young.id]);
      assert.deepEqual(
        Array.from(g.createdAt!),
        [Date.parse(old.created_at), Date.parse(young.created_at)],
      );
      const window = { createdSince: Date.parse(old.created_at) + 1, now: t };
      assert.deepEqual(expiredFaces(g, window).map((f) => f.faceId), [old.id]);
    });
  },
);
