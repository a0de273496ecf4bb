/**
 * {@linkcode RateLimiter} on Upstash Redis with `@upstash/ratelimit`'s sliding window: one Lua
 * script per request, counters under `prefix + "ratelimit:v1:"` (see `lib/store/keys.ts`),
 * shared by every isolate. Redis failures are `store_unavailable` (fail closed: the package's
 * own fail-open timeout is disabled; the REST client's request timeout applies).
 *
 * @module
 */
import { Ratelimit } from "@upstash/ratelimit";
import { FaceError } from "../errors.ts";
import { redisAuthKeys, upstashClient, type UpstashClientOptions } from "../store/mod.ts";
import { type RateLimitDecision, type RateLimiter, retryAfterSeconds } from "./rate_limiter.ts";

/** Options for {@linkcode UpstashRateLimiter}. */
export interface UpstashRateLimiterOptions extends UpstashClientOptions {
  /** Requests per window, ≥ 1. */
  limit: number;
  /** Window length in ms. Default: 60000. */
  windowMs?: number;
  /** String put before every key. Default: `"facegate:"` (as `UpstashFaceStore`). */
  prefix?: string;
}

/**
 * A sliding-window limiter shared through Redis.
 *
 * @example
 * ```ts ignore
 * import { UpstashRateLimiter } from "./upstash_rate_limiter.ts";
 * const limiter = new UpstashRateLimiter({ url: "https://...", token: "...", limit: 120 });
 * const { allowed, retryAfterSeconds } = await limiter.limit("key:0123456789abcdef");
 * ```
 */
export class UpstashRateLimiter implements RateLimiter {
  #ratelimit: Ratelimit;

  /** @throws {RangeError} When `limit` < 1. */
  constructor(options: UpstashRateLimiterOptions) {
    if (!(options.limit >= 1)) throw new RangeError("UpstashRateLimiter limit must be ≥ 1");
    this.#ratelimit = new Ratelimit({
      redis: upstashClient(options),
      limiter: Ratelimit.slidingWindow(options.limit, `${options.windowMs ?? 60_000} ms`),
      prefix: redisAuthKeys(options.prefix ?? "facegate:").rateLimit,
      analytics: false,
      timeout: 0,
    });
  }

  /** Counts and decides in one script call. */
  async limit(identifier: string): Promise<RateLimitDecision> {
    try {
      const r = await this.#ratelimit.limit(identifier);
      return {
        allowed: r.success,
        limit: r.limit,
        remaining: r.remaining,
        retryAfterSeconds: retryAfterSeconds(Date.now(), r.reset),
      };
    } catch (cause) {
      throw new FaceError(
        "store_unavailable",
        "Cannot check the rate limit: the upstash store failed",
        { cause },
      );
    }
  }
}
