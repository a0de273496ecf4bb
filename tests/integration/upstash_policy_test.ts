import assert from "node:assert/strict";
import {
  redisCollectionPolicyKey,
  redisPolicyKey,
  UpstashPolicyStore,
  upstashRedis,
} from "../../lib/store/mod.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { policyScenario } from "../functions/_policy_scenario.ts";
import { redisTest, withRedis, withUpstashBackend } from "./_redis_fixture.ts";

redisTest(
  "match policy on Redis through the bridge: only stricter requests unless admin (audited)",
  (t) => withUpstashBackend("pol", (backend) => policyScenario(t, backend)),
);

redisTest(
  "Redis: a policy under the old per-recipe key is moved to the collection's key on first read, whole",
  async () => {
    await withRedis(async ({ bridge, redis }) => {
      const old = {
        verify: { threshold: 0.7 },
        retention: { days: 9 },
        liveness: { required: true },
        updated_at: "2026-11-01T00:00:00.000Z",
      };
      const legacyKey = redisPolicyKey({ model: "m@1", collection: "gate" }, "mv:");
      const conn = await RespConnection.connect(redis.port);
      try {
        await conn.call("SET", legacyKey, JSON.stringify(old));
        const client = upstashRedis({ url: bridge.url, token: bridge.token });
        const store = new UpstashPolicyStore(client, "mv:", { legacyModels: ["m@1", "m@2"] });
        assert.deepEqual(await store.get({ model: "m@2", collection: "gate" }), old);
        assert.equal(await conn.call("EXISTS", legacyKey), 0);
        const moved = await conn.call("GET", redisCollectionPolicyKey("gate", "mv:"));
        assert.deepEqual(JSON.parse(new TextDecoder().decode(moved as Uint8Array)), old);
        const plain = new UpstashPolicyStore(client, "mv:");
        assert.deepEqual(await plain.get({ model: "m@3", collection: "gate" }), old);
      } finally {
        conn.close();
      }
    });
  },
);
