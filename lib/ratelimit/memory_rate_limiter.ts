/**
 * {@linkcode RateLimiter} in the memory of one isolate, with the sliding-window semantics of
 * `@upstash/ratelimit` (see `rate_limiter.ts`). For the memory and Deno KV stores: on Deno Deploy
 * each isolate counts on its own.
 *
 * @module
 */
import { type RateLimitDecision, type RateLimiter, retryAfterSeconds } from "./rate_limiter.ts";

/** Options for {@linkcode MemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Requests per window, ≥ 1. */
  limit: number;
  /** Window length in ms. Default: 60000. */
  windowMs?: number;
  /** Clock in epoch ms. Default: `Date.now`. */
  now?: () => number;
  /** Identifiers tracked before stale ones are swept. Default: 10000. */
  maxEntries?: number;
}

interface Counter {
  window: number;
  current: number;
  previous: number;
}

/**
 * A sliding-window limiter in a `Map`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryRateLimiter } from "./memory_rate_limiter.ts";
 * let t = 0;
 * const limiter = new MemoryRateLimiter({ limit: 2, now: () => t });
 * assert.equal((await limiter.limit("k")).allowed, true);
 * assert.equal((await limiter.limit("k")).allowed, true);
 * const refused = await limiter.limit("k");
 * assert.equal(refused.allowed, false);
 * assert.equal(refused.retryAfterSeconds, 60);
 * t = 120_000;
 * assert.equal((await limiter.limit("k")).allowed, true);
 * ```
 */
export class MemoryRateLimiter implements RateLimiter {
  #limit: number;
  #windowMs: number;
  #now: () => number;
  #maxEntries: number;
  #counters = new Map<string, Counter>();

  /** @throws {RangeError} When `limit` < 1 or `windowMs` < 1. */
  constructor(options: MemoryRateLimiterOptions) {
    if (!(options.limit >= 1)) throw new RangeError("MemoryRateLimiter limit must be ≥ 1");
    this.#limit = options.limit;
    this.#windowMs = options.windowMs ?? 60_000;
    if (!(this.#windowMs >= 1)) throw new RangeError("MemoryRateLimiter windowMs must be ≥ 1");
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Counts and decides; never throws. */
  limit(identifier: string): Promise<RateLimitDecision> {
    const now = this.#now();
    const window = Math.floor(now / this.#windowMs);
    let c = this.#counters.get(identifier);
    if (c === undefined) {
      if (this.#counters.size >= this.#maxEntries) this.#sweep(window);
      c = { window, current: 0, previous: 0 };
      this.#counters.set(identifier, c);
    } else if (c.window !== window) {
      c.previous = c.window === window - 1 ? c.current : 0;
      c.current = 0;
      c.window = window;
    }
    const elapsed = (now % this.#windowMs) / this.#windowMs;
    const weighted = Math.floor((1 - elapsed) * c.previous);
    const retry = retryAfterSeconds(now, (window + 1) * this.#windowMs);
    if (weighted + c.current >= this.#limit) {
      return Promise.resolve({
        allowed: false,
        limit: this.#limit,
        remaining: 0,
        retryAfterSeconds: retry,
      });
    }
    c.current++;
    return Promise.resolve({
      allowed: true,
      limit: this.#limit,
      remaining: Math.max(0, this.#limit - (c.current + weighted)),
      retryAfterSeconds: retry,
    });
  }

  /** Drops counters older than the previous window. */
  #sweep(window: number): void {
    for (const [id, c] of this.#counters) if (c.window < window - 1) this.#counters.delete(id);
  }
}
