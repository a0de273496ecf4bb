/**
 * {@linkcode PolicyStore} on Upstash Redis, on the backend's shared client.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { CollectionRef } from "./face_store.ts";
import { type PolicyStore, redisPolicyKey, type StoredPolicy } from "./policy_store.ts";
import { unavailable } from "./_store_common.ts";

/** A {@linkcode PolicyStore} on Redis: one JSON string per collection ({@linkcode redisPolicyKey}). */
export class UpstashPolicyStore implements PolicyStore {
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

  /** The collection's policy, or null. */
  async get(ref: CollectionRef): Promise<StoredPolicy | null> {
    const key = redisPolicyKey(ref, this.#prefix);
    let text: unknown;
    try {
      text = await this.#redis.get(key);
    } catch (err) {
      throw unavailable("upstash", "read a match policy", err);
    }
    return typeof text === "string" ? JSON.parse(text) as StoredPolicy : null;
  }

  /** Replaces the collection's policy. */
  async set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    try {
      await this.#redis.set(redisPolicyKey(ref, this.#prefix), JSON.stringify(policy));
    } catch (err) {
      throw unavailable("upstash", "write a match policy", err);
    }
  }
}
