/**
 * The Upstash REST client as every facegate Redis user (faces, API keys, idempotency records,
 * rate limits) configures it: bounded retries with exponential backoff, a per-request deadline
 * (3 s), fail-fast while Redis does not answer ({@linkcode FailFast}), no telemetry, no automatic
 * pipelining.
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
  /** Longest one request may take, in ms (its deadline). Default: 3000. */
  timeoutMs?: number;
  /** Retries of a request that failed at the network level (backoff 50, 100 ms…). Default: 2. */
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
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
  const redis = new Redis({
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
  // Every command, pipeline and script goes through the client's one `request`.
  const http = (redis as unknown as { client?: { request?: (req: unknown) => Promise<unknown> } })
    .client;
  if (http === undefined || typeof http.request !== "function") {
    throw new TypeError("@upstash/redis has no client.request to put a deadline on");
  }
  const request = http.request.bind(http);
  const guard = new FailFast(timeoutMs);
  http.request = (req: unknown) => guard.run(() => request(req));
  return redis;
}

/** After a failure, how long no request probes a store that is down, in ms. */
export const PROBE_GAP_MS = 250;

/** Deadline of one Redis request, in ms. */
export const DEFAULT_REDIS_TIMEOUT_MS = 3000;

/**
 * Fail-fast for a store that stopped answering: once a request times out or cannot connect,
 * the store counts as down; while it is down every request fails at once, except one at a time
 * that probes it (with the normal deadline), and none in the first {@linkcode PROBE_GAP_MS}
 * after a failure (so the request that just waited a deadline does not wait another on its next
 * call). The first answer — any reply, errors included — brings it back. So with Redis frozen a
 * request waits at most one deadline on the store, and work stuck on the store holds a pipeline
 * slot at most that long.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FailFast } from "./upstash_redis.ts";
 * const guard = new FailFast(5000, 0);
 * const down = () => Promise.reject(new DOMException("timed out", "TimeoutError"));
 * await assert.rejects(guard.run(down), { name: "TimeoutError" });
 * assert.equal(guard.down, true);
 * const hanging = guard.run(() => new Promise((r) => setTimeout(r, 10, "pong"))); // the probe
 * await assert.rejects(guard.run(() => Promise.resolve("x")), /failing fast/);
 * assert.equal(await hanging, "pong");
 * assert.equal(guard.down, false);
 * ```
 */
export class FailFast {
  #timeoutMs: number;
  #gapMs: number;
  #down = false;
  #probing = false;
  #failedAt = 0;

  /**
   * @param timeoutMs The requests' deadline, for the message.
   * @param gapMs No probe this soon after a failure, in ms. Default: {@linkcode PROBE_GAP_MS}.
   */
  constructor(timeoutMs: number, gapMs = PROBE_GAP_MS) {
    this.#timeoutMs = timeoutMs;
    this.#gapMs = gapMs;
  }

  /** Whether the store counts as down. */
  get down(): boolean {
    return this.#down;
  }

  /**
   * Runs one request, or fails at once while the store is down and another request probes it.
   *
   * @throws {Error} What the request threw, or a "failing fast" error.
   */
  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.#down && (this.#probing || Date.now() - this.#failedAt < this.#gapMs)) {
      throw new Error(
        `Redis did not answer within ${this.#timeoutMs} ms; failing fast until it answers again`,
      );
    }
    const probe = this.#down;
    if (probe) this.#probing = true;
    try {
      const out = await request();
      this.#down = false;
      return out;
    } catch (err) {
      this.#down = unreachable(err);
      if (this.#down) this.#failedAt = Date.now();
      throw err;
    } finally {
      if (probe) this.#probing = false;
    }
  }
}

/** Whether an error means Redis did not answer (timeout, connection), not that it refused. */
function unreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return err.name === "TimeoutError" || err.name === "AbortError" || err instanceof TypeError ||
    err.message === "Exhausted all retries";
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
  /** Longest one request may take, in ms (its deadline). Default: 3000. */
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
