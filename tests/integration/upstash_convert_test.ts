import { openBackend } from "../../lib/backend/mod.ts";
import { testKeyring } from "../_master_key.ts";
import { convertScenario } from "../functions/_convert_scenario.ts";
import { deleteRedisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest(
  "a v2 collection converted to v3 on Redis (sealed) keeps its people, policy and faces",
  async (t) => {
    await withRedis(async ({ bridge, redis }) => {
      const prefix = `conv${crypto.randomUUID().slice(0, 8)}:`;
      const backend = await openBackend({
        kind: "upstash",
        url: bridge.url,
        token: bridge.token,
        prefix,
      }, { encryption: await testKeyring() });
      try {
        await convertScenario(t, backend);
      } finally {
        await backend.close();
        await deleteRedisKeys(redis.port, `${prefix}*`);
      }
    });
  },
);
