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
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { apiScenario, createAdminKey, startServer } from "./_api_scenario.ts";
import { withRedis } from "./_redis_fixture.ts";

async function keysUnder(port: number, prefix: string): Promise<string[]> {
  const conn = await RespConnection.connect(port);
  try {
    const keys = await conn.call("KEYS", `${prefix}*`) as Uint8Array[];
    return keys.map((k) => new TextDecoder().decode(k));
  } finally {
    conn.close();
  }
}

Deno.test("the real server enrolls, verifies, identifies and forgets LFW people over HTTP (Upstash Redis)", async (t) => {
  await withRedis(async ({ redis, bridge }) => {
    const prefix = `e2e:${crypto.randomUUID()}:`;
    const env = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      FACEGATE_STORE: "upstash",
      FACEGATE_REDIS_PREFIX: prefix,
      FACEGATE_AUTH: "keys",
      FACEGATE_RATE_LIMIT: "100000",
    };
    try {
      const apiKey = await createAdminKey(env);
      const server = await startServer(env);
      try {
        await apiScenario(t, { server, store: "upstash", apiKey });
        const keys = await keysUnder(redis.port, prefix);
        assert.ok(keys.some((k) => k.startsWith(`${prefix}auth:v1:keys`)), keys.join());
        assert.ok(keys.some((k) => k.startsWith(`${prefix}ratelimit:v1:key:`)), keys.join());
      } finally {
        await server.stop();
      }
    } finally {
      await new UpstashFaceStore({ url: bridge.url, token: bridge.token, prefix }).purge();
    }
    assert.deepEqual(await keysUnder(redis.port, prefix), [], "cleanup must leave no keys");
  });
});
