/**
 * Per-identifier rate limits: the {@linkcode RateLimiter} role, an in-memory sliding window and
 * one on Upstash Redis (`@upstash/ratelimit`). Other folders import only this file.
 *
 * @module
 */

export * from "./rate_limiter.ts";
export * from "./memory_rate_limiter.ts";
export * from "./upstash_rate_limiter.ts";
