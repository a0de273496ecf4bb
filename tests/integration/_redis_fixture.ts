/**
 * Starts redis-server (tools/redis_harness.ts) and the Upstash bridge for one test, or explains
 * loudly why it cannot; lists and deletes a test's keys straight on the server.
 *
 * @module
 */

import { type RedisProcess, startRedis } from "../../tools/redis_harness.ts";
import { type Bridge, RespConnection, startBridge } from "../../tools/upstash_bridge.ts";

/** A running redis-server with a bridge in front of it. */
export interface RedisFixture {
  redis: RedisProcess;
  bridge: Bridge;
}

/**
 * Runs `fn` with a fresh redis-server and bridge, stopping both afterwards.
 *
 * When redis-server is not installed this throws, unless `FACEGATE_SKIP_REDIS=1`, in which case it
 * logs that the Redis tests did NOT run and returns without calling `fn`.
 */
export async function withRedis(fn: (fx: RedisFixture) => Promise<void>): Promise<void> {
  const redis = await startRedis();
  if (redis === null) {
    if (Deno.env.get("FACEGATE_SKIP_REDIS") === "1") {
      console.warn(
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n" +
          "!!! WARNING: redis-server is not installed: Redis tests did NOT run.           !!!\n" +
          "!!! (FACEGATE_SKIP_REDIS=1 is set; install it with apt-get install redis-server) !!!\n" +
          "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      );
      return;
    }
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
