import assert from "node:assert/strict";
import { UpstashIdempotencyStore } from "../../lib/store/mod.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { IDEMPOTENCY_CASES } from "../lib/store/_idempotency_contract.ts";
import { deleteRedisKeys, redisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

redisTest(
  "UpstashIdempotencyStore satisfies the IdempotencyStore contract through the bridge to redis-server",
  async (t) => {
    await withRedis(async ({ redis, bridge }) => {
      const run = `test:${crypto.randomUUID()}:`;
      let n = 0;
      for (const [title, body] of IDEMPOTENCY_CASES) {
        await t.step(title, async () => {
          const prefix = `${run}${n++}:`;
          const store = new UpstashIdempotencyStore({
            url: bridge.url,
            token: bridge.token,
            prefix,
          });
          try {
            await body(store);
            assert.ok((await deleteRedisKeys(redis.port, `${prefix}*`)) >= 0);
          } finally {
            await store.close();
          }
        });
      }
      await deleteRedisKeys(redis.port, `${run}*`);
      assert.equal(
        (await redisKeys(redis.port, `${run}*`)).length,
        0,
        "cleanup must leave no keys",
      );
    });
  },
);

redisTest("UpstashIdempotencyStore keeps records as versioned keys with a TTL", async () => {
  await withRedis(async ({ redis, bridge }) => {
    const prefix = `test:${crypto.randomUUID()}:`;
    const store = new UpstashIdempotencyStore({ url: bridge.url, token: bridge.token, prefix });
    const ref = { scope: "webhook", key: "msg_1" };
    const claim = await store.claim(ref, "fp", 60_000);
    assert.ok(claim.claimed);
    const conn = await RespConnection.connect(redis.port);
    try {
      const ttl = Number(await conn.call("PTTL", `${prefix}v1:idempotency:webhook:msg_1`));
      assert.ok(ttl > 0 && ttl <= 60_000, `PTTL ${ttl}`);
      await store.complete(
        ref,
        claim.token,
        { status: 200, content_type: "x", body: "" },
        3_600_000,
      );
      const after = Number(await conn.call("PTTL", `${prefix}v1:idempotency:webhook:msg_1`));
      assert.ok(after > 60_000 && after <= 3_600_000, `PTTL ${after}`);
    } finally {
      conn.close();
    }
    assert.equal(await deleteRedisKeys(redis.port, `${prefix}*`), 1);
  });
});

redisTest(
  "UpstashIdempotencyStore indexes an answer with its TTL and erasing deletes the index keys",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const prefix = `test:${crypto.randomUUID()}:`;
      const store = new UpstashIdempotencyStore({ url: bridge.url, token: bridge.token, prefix });
      const ref = { scope: "write", key: "k1" };
      const claim = await store.claim(ref, "fp", 60_000);
      assert.ok(claim.claimed);
      const mentions = {
        collection: "lobby",
        subjects: [{ subject: "ann", faces: ["f1"] }, { subject: "bob", faces: [] }],
      };
      const response = { status: 201, content_type: "x", body: "ann f1 bob" };
      assert.equal(await store.complete(ref, claim.token, response, 3_600_000, mentions), true);
      const index = `${prefix}v1:idempotency_index:lobby`;
      const record = `${prefix}v1:idempotency:write:k1`;
      assert.deepEqual(
        (await redisKeys(redis.port, `${prefix}*`)).sort(),
        [record, index, `${index}:ann`, `${index}:bob`].sort(),
      );
      const conn = await RespConnection.connect(redis.port);
      try {
        for (const key of [index, `${index}:ann`, `${index}:bob`]) {
          const ttl = Number(await conn.call("PTTL", key));
          assert.ok(ttl > 60_000 && ttl <= 3_600_000, `PTTL ${key} ${ttl}`);
        }
        const faces = new TextDecoder().decode(
          await conn.call("HGET", `${index}:ann`, "write:k1") as Uint8Array,
        );
        assert.deepEqual(JSON.parse(faces), ["f1"]);
        assert.equal(await store.erase({ collection: "lobby", subject: "bob" }), 1);
        // Only the tombstone is left, with the record's expiry, naming nobody.
        assert.deepEqual(await redisKeys(redis.port, `${prefix}*`), [record]);
        const ttl = Number(await conn.call("PTTL", record));
        assert.ok(ttl > 60_000 && ttl <= 3_600_000, `PTTL ${ttl}`);
        const tomb = new TextDecoder().decode(await conn.call("GET", record) as Uint8Array);
        assert.ok(!/ann|bob|f1/.test(tomb), tomb);
        assert.equal(JSON.parse(tomb).record.state, "erased");
      } finally {
        conn.close();
      }
      assert.equal(await deleteRedisKeys(redis.port, `${prefix}*`), 1);
    });
  },
);

Deno.test("UpstashIdempotencyStore reports an unreachable Redis as store_unavailable", async () => {
  const store = new UpstashIdempotencyStore({
    url: "http://127.0.0.1:9",
    token: "t",
    timeoutMs: 2000,
  });
  await assert.rejects(store.claim({ scope: "webhook", key: "k" }, "fp", 1000), {
    code: "store_unavailable",
  });
});
