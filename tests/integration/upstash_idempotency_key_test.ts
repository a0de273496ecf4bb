import { openBackend } from "../../lib/backend/mod.ts";
import { idempotencyScenario } from "../functions/_idempotency_scenario.ts";
import { deleteRedisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest("Idempotency-Key on writes, on Redis through the bridge", async (t) => {
  await withRedis(async ({ bridge, redis }) => {
    const prefix = `idk${crypto.randomUUID().slice(0, 8)}:`;
    const backend = await openBackend({
      kind: "upstash",
      url: bridge.url,
      token: bridge.token,
      prefix,
    });
    try {
      await idempotencyScenario(t, backend);
    } finally {
      await backend.close();
      await deleteRedisKeys(redis.port, `${prefix}*`);
    }
  });
});
