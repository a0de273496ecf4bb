import { openBackend } from "../../lib/backend/mod.ts";
import { policyScenario } from "../functions/_policy_scenario.ts";
import { deleteRedisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest(
  "match policy on Redis through the bridge: only stricter requests unless admin (audited)",
  async (t) => {
    await withRedis(async ({ bridge, redis }) => {
      const prefix = `pol${crypto.randomUUID().slice(0, 8)}:`;
      const backend = await openBackend({
        kind: "upstash",
        url: bridge.url,
        token: bridge.token,
        prefix,
      });
      try {
        await policyScenario(t, backend);
      } finally {
        await backend.close();
        await deleteRedisKeys(redis.port, `${prefix}*`);
      }
    });
  },
);
