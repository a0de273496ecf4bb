/**
 * End to end on Redis: the shared API scenario (`_api_scenario.ts`) against the real server on
 * the Upstash store, through the bridge to a real redis-server (`_redis_fixture.ts`: fails loudly
 * without redis-server unless `FACEGATE_SKIP_REDIS=1`), under a random key prefix that is purged
 * afterwards. API keys on (an admin key made by `cli/keys.ts` in Redis), rate limits through
 * `@upstash/ratelimit`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { UpstashFaceStore } from "../../lib/store/mod.ts";
import { apiScenario, withServer } from "./_api_scenario.ts";
import { redisKeys, redisTest, withRedis } from "./_redis_fixture.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

redisTest(
  "the real server enrolls, verifies, identifies and forgets LFW people over HTTP (Upstash Redis)",
  async (t) => {
    await withRedis(async ({ redis, bridge }) => {
      const prefix = `e2e:${crypto.randomUUID()}:`;
      const env = {
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        FACEGATE_STORE: "upstash",
        FACEGATE_REDIS_PREFIX: prefix,
        FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
        FACEGATE_AUTH: "keys",
        FACEGATE_RATE_LIMIT: "100000",
      };
      try {
        await withServer(env, async (server, apiKey) => {
          await apiScenario(t, { server, store: "upstash", apiKey });
          const keys = await redisKeys(redis.port, `${prefix}*`);
          assert.ok(keys.some((k) => k.startsWith(`${prefix}auth:v1:keys`)), keys.join());
          assert.ok(keys.some((k) => k.startsWith(`${prefix}ratelimit:v1:key:`)), keys.join());
        });
      } finally {
        await new UpstashFaceStore({
          url: bridge.url,
          token: bridge.token,
          prefix,
          encryption: "off",
        }).purge();
      }
      assert.deepEqual(await redisKeys(redis.port, `${prefix}*`), [], "cleanup must leave no keys");
    });
  },
);
