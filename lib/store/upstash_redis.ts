/**
 * The Upstash REST client as every facegate Redis user (faces, API keys, idempotency records,
 * rate limits) configures it: bounded retries with exponential backoff, a per-request timeout,
 * no telemetry, no automatic pipelining.
 *
 * @module
 */
import { Redis } from "@upstash/redis";

/** Options for {@linkcode upstashRedis}. */
export interface UpstashRedisOptions {
  /** REST URL (`UPSTASH_REDIS_REST_URL`). */
  url: string;
  /** REST token: a secret. */
  token: string;
  /** Longest one request may take, in ms. Default: 10000. */
  timeoutMs?: number;
  /** Retries of a failed request (backoff 100 ms, 200 ms, ... at most 1 s). Default: 2. */
  retries?: number;
  /**
   * Whether replies come back as Redis sent them: no base64 response encoding and no JSON
   * deserialisation. Default: true (false leaves the client's own defaults, as
   * `@upstash/ratelimit` expects).
   */
  raw?: boolean;
}

/**
 * Creates the client; no request is made until the first call.
 *
 * @example
 * ```ts
 * import { upstashRedis } from "./upstash_redis.ts";
 * const redis = upstashRedis({ url: "https://example.upstash.io", token: "t" });
 * if (typeof redis.get !== "function") throw new Error("no client");
 * ```
 */
export function upstashRedis(options: UpstashRedisOptions): Redis {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Redis({
    url: options.url,
    token: options.token,
    retry: {
      retries: options.retries ?? 2,
      backoff: (n) => Math.min(1000, 50 * 2 ** n),
    },
    signal: () => AbortSignal.timeout(timeoutMs),
    ...(options.raw === false ? {} : { responseEncoding: false, automaticDeserialization: false }),
    enableTelemetry: false,
    enableAutoPipelining: false,
  });
}

/**
 * How a Redis-backed store reaches Redis: a shared client (`redis`, what `openBackend` passes so
 * one process has one client), or the settings to create its own.
 */
export interface UpstashClientOptions {
  /** A client to share. When set, the other fields are ignored. */
  redis?: Redis;
  /** REST URL (`UPSTASH_REDIS_REST_URL`); required without `redis`. */
  url?: string;
  /** REST token (`UPSTASH_REDIS_REST_TOKEN`), a secret; required without `redis`. */
  token?: string;
  /** Longest one request may take, in ms. Default: 10000. */
  timeoutMs?: number;
  /** Retries of a request that failed at the network level. Default: 2. */
  retries?: number;
}

/**
 * The client of a store's options: the shared one, else a new {@linkcode upstashRedis}.
 *
 * @throws {TypeError} When neither `redis` nor `url` and `token` are given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upstashClient, upstashRedis } from "./upstash_redis.ts";
 * const shared = upstashRedis({ url: "https://example.upstash.io", token: "t" });
 * assert.equal(upstashClient({ redis: shared }), shared);
 * assert.throws(() => upstashClient({}), TypeError);
 * ```
 */
export function upstashClient(options: UpstashClientOptions): Redis {
  if (options.redis) return options.redis;
  const { url, token, timeoutMs, retries } = options;
  if (!url || !token) throw new TypeError("Upstash store: give `redis`, or `url` and `token`");
  return upstashRedis({ url, token, timeoutMs, retries });
}
