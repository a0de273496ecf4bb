/**
 * Starts redis-server (tools/redis_harness.ts) and the Upstash bridge for one test, or explains
 * loudly why it cannot; lists and deletes a test's keys straight on the server.
 *
 * @module
 */

import { findRedisServer, type RedisProcess, startRedis } from "../../tools/redis_harness.ts";
import { type Bridge, RespConnection, startBridge } from "../../tools/upstash_bridge.ts";
import { type Backend, openBackend, type OpenBackendOptions } from "../../lib/backend/mod.ts";
import { testKeyring } from "../_master_key.ts";

/** A running redis-server with a bridge in front of it. */
export interface RedisFixture {
  redis: RedisProcess;
  bridge: Bridge;
}

/**
 * Whether the Redis suites are skipped: redis-server is not installed and `FACEGATE_SKIP_REDIS=1`
 * says so knowingly. Skipped suites are reported by `deno test` as ignored, never as passed.
 */
export const REDIS_SKIPPED: boolean = Deno.env.get("FACEGATE_SKIP_REDIS") === "1" &&
  (await findRedisServer()) === null;

if (REDIS_SKIPPED) {
  console.warn(
    "!!! WARNING: redis-server is not installed and FACEGATE_SKIP_REDIS=1: the Redis tests are " +
      "ignored (install it with apt-get install redis-server) !!!",
  );
}

/**
 * Declares a test that needs redis-server: ignored (counted as skipped) when
 * {@linkcode REDIS_SKIPPED}, else it runs and fails loudly without redis-server.
 */
export function redisTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  Deno.test({ name, ignore: REDIS_SKIPPED, fn });
}

/**
 * Runs `fn` with a fresh redis-server and bridge, stopping both afterwards.
 *
 * @throws {Error} When redis-server is not installed (declare the test with
 *   {@linkcode redisTest} so that `FACEGATE_SKIP_REDIS=1` reports it as ignored instead).
 */
export async function withRedis(fn: (fx: RedisFixture) => Promise<void>): Promise<void> {
  const redis = await startRedis();
  if (redis === null) {
    throw new Error(
      "redis-server is not installed, so the Redis tests cannot run. Install it " +
        "(apt-get install -y redis-server) or set FACEGATE_SKIP_REDIS=1 to skip them knowingly.",
    );
  }
  let bridge: Bridge | undefined;
  try {
    bridge = await startBridge({ redisPort: redis.port, token: crypto.randomUUID() });
    await fn({ redis, bridge });
  } finally {
    await bridge?.close();
    await redis.stop();
  }
}

/**
 * Runs `fn` with the backend of a fresh redis-server behind the bridge, sealed with the test
 * keyring (unless `options` says otherwise), under a random key prefix starting with `stem`;
 * closes it and deletes every key of that prefix afterwards.
 */
export async function withUpstashBackend(
  stem: string,
  fn: (backend: Backend, fx: RedisFixture & { prefix: string }) => Promise<void>,
  options: OpenBackendOptions = {},
): Promise<void> {
  await withRedis(async (fx) => {
    const prefix = `${stem}${crypto.randomUUID().slice(0, 8)}:`;
    const backend = await openBackend(
      { kind: "upstash", url: fx.bridge.url, token: fx.bridge.token, prefix },
      { encryption: await testKeyring(), ...options },
    );
    try {
      await fn(backend, { ...fx, prefix });
    } finally {
      await backend.close();
      await deleteRedisKeys(fx.redis.port, `${prefix}*`);
    }
  });
}

/** The keys matching `pattern` on the redis-server at `port` (`KEYS`: test servers only). */
export async function redisKeys(port: number, pattern: string): Promise<string[]> {
  const conn = await RespConnection.connect(port);
  try {
    const keys = await conn.call("KEYS", pattern) as Uint8Array[];
    return keys.map((k) => new TextDecoder().decode(k));
  } finally {
    conn.close();
  }
}

/** Deletes every key matching `pattern`; returns how many there were. */
export async function deleteRedisKeys(port: number, pattern: string): Promise<number> {
  const keys = await redisKeys(port, pattern);
  if (keys.length === 0) return 0;
  const conn = await RespConnection.connect(port);
  try {
    await conn.call("DEL", ...keys);
  } finally {
    conn.close();
  }
  return keys.length;
}

/**
 * Every key of the server (matching `pattern`, default all) and a text dump of its value
 * (strings, hashes, sets, sorted sets, lists); throws on any other type rather than skip it.
 */
export async function redisKeyspace(port: number, pattern = "*"): Promise<Map<string, string>> {
  const conn = await RespConnection.connect(port);
  const dec = (v: unknown): string =>
    v instanceof Uint8Array
      ? new TextDecoder().decode(v)
      : Array.isArray(v)
      ? v.map(dec).join("\n")
      : String(v);
  try {
    const out = new Map<string, string>();
    for (const k of (await conn.call("KEYS", pattern)) as Uint8Array[]) {
      const key = dec(k);
      const type = dec(await conn.call("TYPE", key));
      const value = type === "string"
        ? await conn.call("GET", key)
        : type === "hash"
        ? await conn.call("HGETALL", key)
        : type === "zset"
        ? await conn.call("ZRANGE", key, "0", "-1")
        : type === "set"
        ? await conn.call("SMEMBERS", key)
        : type === "list"
        ? await conn.call("LRANGE", key, "0", "-1")
        : `(${type})`;
      if (typeof value === "string" && value.startsWith("(")) {
        throw new Error(`redisKeyspace: cannot read ${key} of type ${type}`);
      }
      out.set(key, dec(value));
    }
    return out;
  } finally {
    conn.close();
  }
}

/** `SAVE`s the server uncompressed and returns `dump.rdb`. */
export async function redisDump(fx: RedisFixture): Promise<Uint8Array> {
  const conn = await RespConnection.connect(fx.redis.port);
  try {
    await conn.call("CONFIG", "SET", "rdbcompression", "no");
    await conn.call("SAVE");
  } finally {
    conn.close();
  }
  return await Deno.readFile(`${fx.redis.dir}/dump.rdb`);
}
