import assert from "node:assert/strict";
import { UpstashLivenessSessionStore, upstashRedis } from "../../lib/store/mod.ts";
import { LIVENESS_SESSION_CASES } from "../lib/store/_liveness_session_contract.ts";
import { deleteRedisKeys, redisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest(
  "UpstashLivenessSessionStore satisfies the LivenessSessionStore contract through the bridge to redis-server",
  async (t) => {
    await withRedis(async ({ redis, bridge }) => {
      const run = `test:${crypto.randomUUID()}:`;
      const client = upstashRedis({ url: bridge.url, token: bridge.token });
      let n = 0;
      for (const [title, body] of LIVENESS_SESSION_CASES) {
        await t.step(title, async () => {
          await body(new UpstashLivenessSessionStore(client, `${run}${n++}:`));
        });
      }
      assert.ok((await redisKeys(redis.port, `${run}*`)).length > 0);
      await deleteRedisKeys(redis.port, `${run}*`);
      assert.equal(
        (await redisKeys(redis.port, `${run}*`)).length,
        0,
        "cleanup must leave no keys",
      );
    });
  },
);
