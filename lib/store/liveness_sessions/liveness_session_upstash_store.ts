/**
 * {@linkcode LivenessSessionStore} on Upstash Redis, on the backend's shared client: a JSON
 * string per session (`PX` expiry) and `SET NX PX` markers for the single-use steps.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { storeCall, unavailable } from "../backends/store_call.ts";
import { redisLivenessKey } from "../keys.ts";
import type { LivenessSessionStore, StoredLivenessSession } from "./liveness_session_store.ts";

/** A {@linkcode LivenessSessionStore} on Redis ({@linkcode redisLivenessKey}). */
export class UpstashLivenessSessionStore implements LivenessSessionStore {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #redis: Redis;
  #prefix: string;

  /**
   * Uses a client made by `upstashRedis` (raw replies).
   *
   * @param prefix String put before every key. Default: `"facegate:"`.
   */
  constructor(redis: Redis, prefix = "facegate:") {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** Writes a session. */
  async put(session: StoredLivenessSession, ttlMs: number): Promise<void> {
    const key = redisLivenessKey(session.id, "session", this.#prefix);
    return await storeCall("upstash", "write a liveness session", async () => {
      await this.#redis.set(key, JSON.stringify(session), { px: Math.max(1, ttlMs) });
    });
  }

  /** The session, or null. */
  async get(id: string): Promise<StoredLivenessSession | null> {
    const key = redisLivenessKey(id, "session", this.#prefix);
    let text: unknown;
    try {
      text = await this.#redis.get(key);
    } catch (err) {
      throw unavailable("upstash", "read a liveness session", err);
    }
    return typeof text === "string" ? JSON.parse(text) as StoredLivenessSession : null;
  }

  /** Marks the step once (`SET NX PX`). */
  async claim(id: string, step: "frames" | "token", ttlMs: number): Promise<boolean> {
    const key = redisLivenessKey(id, step, this.#prefix);
    return await storeCall("upstash", "mark a liveness session", async () => {
      const set = await this.#redis.set(key, "1", { nx: true, px: Math.max(1, ttlMs) });
      return set !== null;
    });
  }
}
