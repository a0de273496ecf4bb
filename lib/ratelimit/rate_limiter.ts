/**
 * The {@linkcode RateLimiter} role: may this identifier make one more request now?
 *
 * Semantics (both implementations; those of `@upstash/ratelimit`'s sliding window): time is cut
 * into fixed windows of `windowMs`; a request is refused when `current + floor(previous * (1 -
 * elapsed))` has reached `limit`, where `current` and `previous` count the allowed requests of
 * this and the previous window and `elapsed` is the fraction of this window gone by. Refused
 * requests do not count.
 *
 * @module
 */

/** The outcome of one {@linkcode RateLimiter.limit} call. */
export interface RateLimitDecision {
  /** Whether the request may proceed. */
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in this window after this one. */
  remaining: number;
  /** Whole seconds until the current window ends (at least 1): the `Retry-After` value. */
  retryAfterSeconds: number;
}

/** Counts requests per identifier. */
export interface RateLimiter {
  /**
   * Counts one request of `identifier` (when allowed) and decides.
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  limit(identifier: string): Promise<RateLimitDecision>;
}

/** `Retry-After` seconds from now to `resetMs` (both epoch ms), at least 1. */
export function retryAfterSeconds(nowMs: number, resetMs: number): number {
  return Math.max(1, Math.ceil((resetMs - nowMs) / 1000));
}
