import assert from "node:assert/strict";
import { UpstashKeyStore } from "../../lib/auth/mod.ts";
import { MemoryRateLimiter, UpstashRateLimiter } from "../../lib/ratelimit/mod.ts";
import { UpstashFaceStore } from "../../lib/store/mod.ts";
import { stripUpstashFlags } from "../../tools/upstash_bridge.ts";
import { keyStoreContractSteps } from "../lib/auth/_key_store_contract.ts";
import { redisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest(
  "UpstashKeyStore satisfies the KeyStore contract through the bridge to redis-server",
  async (t) => {
    await withRedis(async ({ redis, bridge }) => {
      const run = `test:${crypto.randomUUID()}:`;
      let n = 0;
      const prefixes: string[] = [];
      try {
        await keyStoreContractSteps(t, () => {
          const prefix = `${run}${n++}:`;
          prefixes.push(prefix);
          return Promise.resolve(
            new UpstashKeyStore({ url: bridge.url, token: bridge.token, prefix }),
          );
        });
        assert.ok((await redisKeys(redis.port, `${run}*auth:v1:keys`)).length > 0);
      } finally {
        // The face store's purge removes everything under the shared prefix, keys included.
        for (const prefix of prefixes) {
          await new UpstashFaceStore({
            url: bridge.url,
            token: bridge.token,
            prefix,
            encryption: "off",
          }).purge();
        }
      }
      assert.equal(
        (await redisKeys(redis.port, `${run}*`)).length,
        0,
        "cleanup must leave no keys",
      );
    });
  },
);

redisTest(
  "UpstashRateLimiter (@upstash/ratelimit sliding window) allows the limit, then refuses with Retry-After, per identifier",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const prefix = `test:${crypto.randomUUID()}:`;
      const limiter = new UpstashRateLimiter({
        url: bridge.url,
        token: bridge.token,
        prefix,
        limit: 3,
      });
      try {
        const decisions = [];
        for (let i = 0; i < 5; i++) decisions.push(await limiter.limit("key:a"));
        // A window boundary may fall inside the loop; both limiters then agree on the count.
        const allowed = decisions.filter((d) => d.allowed).length;
        assert.ok(allowed >= 3 && allowed <= 5, `allowed ${allowed}`);
        assert.deepEqual(decisions.slice(0, 3).map((d) => d.allowed), [true, true, true]);
        const refused = decisions.find((d) => !d.allowed);
        if (refused) {
          assert.equal(refused.limit, 3);
          assert.equal(refused.remaining, 0);
          assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
        }
        assert.equal((await limiter.limit("key:b")).allowed, true);
        assert.ok((await redisKeys(redis.port, `${prefix}ratelimit:v1:key:a:*`)).length >= 1);
      } finally {
        await new UpstashFaceStore({
          url: bridge.url,
          token: bridge.token,
          prefix,
          encryption: "off",
        }).purge();
      }
      assert.equal((await redisKeys(redis.port, `${prefix}*`)).length, 0);
    });
  },
);

redisTest(
  "UpstashRateLimiter and MemoryRateLimiter agree request by request within one window",
  async () => {
    await withRedis(async ({ bridge }) => {
      const prefix = `test:${crypto.randomUUID()}:`;
      const windowMs = 3_000;
      // Start just after a window boundary so that all calls fall into one window.
      const left = windowMs - (Date.now() % windowMs);
      if (left < 1_500) await new Promise((r) => setTimeout(r, left + 20));
      const upstash = new UpstashRateLimiter({
        url: bridge.url,
        token: bridge.token,
        prefix,
        limit: 4,
        windowMs,
      });
      const memory = new MemoryRateLimiter({ limit: 4, windowMs });
      try {
        for (let i = 0; i < 6; i++) {
          const [u, m] = [await upstash.limit("k"), await memory.limit("k")];
          assert.equal(u.allowed, m.allowed, `request ${i}`);
          assert.equal(u.remaining, m.remaining, `request ${i}`);
        }
      } finally {
        await new UpstashFaceStore({
          url: bridge.url,
          token: bridge.token,
          prefix,
          encryption: "off",
        }).purge();
      }
    });
  },
);

redisTest(
  "UpstashRateLimiter fails closed with store_unavailable when Redis is unreachable",
  async () => {
    await withRedis(async ({ bridge }) => {
      const limiter = new UpstashRateLimiter({
        url: bridge.url,
        token: "wrong-token",
        limit: 3,
        timeoutMs: 2000,
      });
      await assert.rejects(limiter.limit("k"), { code: "store_unavailable" });
    });
  },
);

Deno.test("the bridge drops Upstash-only script flags that redis-server refuses", () => {
  assert.equal(stripUpstashFlags("#!lua flags=allow-key-locking\n  return 1"), "#!lua\n  return 1");
  assert.equal(
    stripUpstashFlags("#!lua flags=no-writes,allow-key-locking\nreturn 1"),
    "#!lua flags=no-writes\nreturn 1",
  );
  assert.equal(
    stripUpstashFlags("#!lua flags=no-writes\nreturn 1"),
    "#!lua flags=no-writes\nreturn 1",
  );
  assert.equal(stripUpstashFlags("return 1"), "return 1");
});
