import { openBackend } from "../../lib/backend/mod.ts";
import { testKeyring } from "../_master_key.ts";
import { idempotencyScenario } from "../functions/_idempotency_scenario.ts";
import {
  deleteRedisKeys,
  redisDump,
  redisKeyspace,
  redisTest,
  withRedis,
} from "./_redis_fixture.ts";

redisTest("Idempotency-Key on writes, on Redis through the bridge", async (t) => {
  await withRedis(async (fx) => {
    const { bridge, redis } = fx;
    const prefix = `idk${crypto.randomUUID().slice(0, 8)}:`;
    const backend = await openBackend({
      kind: "upstash",
      url: bridge.url,
      token: bridge.token,
      prefix,
    }, { encryption: await testKeyring() });
    // Every key of the server (this test's own), audit events (`…:audit`, ids only) left out;
    // and the RDB dump after SAVE.
    const scan = async () => {
      const all = await redisKeyspace(redis.port);
      const entries = new Map([...all].filter(([k]) => !k.endsWith(":audit")));
      return { entries, raw: await redisDump(fx) };
    };
    try {
      await idempotencyScenario(t, backend, { scan });
    } finally {
      await backend.close();
      await deleteRedisKeys(redis.port, `${prefix}*`);
    }
  });
});
