import assert from "node:assert/strict";
import { Redis } from "@upstash/redis";
import { RespConnection, RespError } from "../../tools/upstash_bridge.ts";
import { redisTest, withRedis } from "./_redis_fixture.ts";

function post(
  url: string,
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(url, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
}

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

redisTest("upstash bridge speaks the Upstash REST protocol to a real redis-server", async (t) => {
  await withRedis(async ({ bridge }) => {
    const { url, token } = bridge;
    const base64 = { "Upstash-Encoding": "base64" };

    await t.step("a request without the bearer token is 401", async () => {
      assert.deepEqual(await post(url, null, ["PING"]), {
        status: 401,
        body: { error: "Unauthorized" },
      });
      assert.equal((await post(url, "nope", ["PING"])).status, 401);
    });

    await t.step("POST / runs one command and returns {result}", async () => {
      assert.deepEqual(await post(url, token, ["SET", "k", "héllo"]), {
        status: 200,
        body: { result: "OK" },
      });
      assert.deepEqual((await post(url, token, ["GET", "k"])).body, { result: "héllo" });
      assert.deepEqual((await post(url, token, ["INCRBY", "n", 5])).body, { result: 5 });
      assert.deepEqual((await post(url, token, ["GET", "missing"])).body, { result: null });
    });

    await t.step("Upstash-Encoding: base64 encodes every string but a top-level OK", async () => {
      assert.deepEqual((await post(url, token, ["SET", "k", "héllo"], base64)).body, {
        result: "OK",
      });
      assert.deepEqual((await post(url, token, ["GET", "k"], base64)).body, {
        result: b64("héllo"),
      });
      await post(url, token, ["HSET", "h", "f", "v"]);
      assert.deepEqual((await post(url, token, ["HGETALL", "h"], base64)).body, {
        result: [b64("f"), b64("v")],
      });
      assert.deepEqual(
        (await post(url, token, ["EVAL", "return {1, 'OK', {'x'}}", 0], base64)).body,
        { result: [1, b64("OK"), [b64("x")]] },
      );
      assert.deepEqual((await post(url, token, ["INCR", "n"], base64)).body, { result: 6 });
    });

    await t.step("a Redis error is status 400 with {error}", async () => {
      const res = await post(url, token, ["HGET", "k", "f"]);
      assert.equal(res.status, 400);
      assert.match(res.body.error, /^WRONGTYPE/);
      assert.equal((await post(url, token, "not json")).status, 400);
      assert.equal((await post(url, token, [])).status, 400);
      assert.equal((await post(url, token, ["SUBSCRIBE", "ch"])).status, 400);
    });

    await t.step("POST /pipeline returns one {result} or {error} per command", async () => {
      const res = await post(`${url}/pipeline`, token, [["SET", "p", "1"], ["INCR", "p"], [
        "HGET",
        "p",
        "x",
      ]]);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.slice(0, 2), [{ result: "OK" }, { result: 2 }]);
      assert.match(res.body[2].error, /^WRONGTYPE/);
    });

    await t.step(
      "POST /multi-exec runs a transaction, refused whole on a bad command",
      async () => {
        const ok = await post(`${url}/multi-exec`, token, [["SET", "t", "1"], ["INCR", "t"]]);
        assert.deepEqual(ok, { status: 200, body: [{ result: "OK" }, { result: 2 }] });
        const bad = await post(`${url}/multi-exec`, token, [["SET", "t", "9"], ["NOSUCHCMD"]]);
        assert.equal(bad.status, 400);
        assert.match(bad.body.error, /EXECABORT/);
        assert.deepEqual((await post(url, token, ["GET", "t"])).body, { result: "2" });
      },
    );

    await t.step("@upstash/redis works against it in its default base64 mode", async () => {
      const redis = new Redis({ url, token, enableTelemetry: false });
      assert.equal(await redis.set("u", "Zoë 李 ✓"), "OK");
      assert.equal(await redis.get("u"), "Zoë 李 ✓");
      await redis.hset("uh", { a: "x", b: "y" });
      assert.deepEqual(await redis.hgetall("uh"), { a: "x", b: "y" });
      const p = redis.pipeline();
      p.incr("uc");
      p.incr("uc");
      assert.deepEqual(await p.exec(), [1, 2]);
      const m = redis.multi();
      m.set("um", "v");
      m.get("um");
      assert.deepEqual(await m.exec(), ["OK", "v"]);
      await assert.rejects(redis.eval("return redis.error_reply('boom')", [], []), /boom/);
    });

    await t.step("50 concurrent requests share the bounded connection pool", async () => {
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => post(url, token, ["ECHO", `m${i}`])),
      );
      replies.forEach((r, i) => assert.deepEqual(r.body, { result: `m${i}` }));
    });
  });
});

redisTest("RespConnection reads large bulk strings and long arrays across many reads", async () => {
  await withRedis(async ({ redis }) => {
    const conn = await RespConnection.connect(redis.port);
    try {
      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
      assert.equal(await conn.call("SET", "big", big), "OK");
      const back = await conn.call("GET", "big");
      assert.ok(back instanceof Uint8Array);
      assert.deepEqual(back, big);
      const fields = Array.from({ length: 20_000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      assert.equal(await conn.call("HSET", "hh", ...fields), 20_000);
      const all = await conn.call("HGETALL", "hh") as Uint8Array[];
      assert.equal(all.length, 40_000);
      assert.ok((await conn.call("NOSUCH")) instanceof RespError);
      assert.equal(await conn.call("GET", "missing"), null);
      assert.equal(await conn.call("INCR", "i"), 1);
    } finally {
      conn.close();
    }
  });
});
