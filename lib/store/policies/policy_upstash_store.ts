/**
 * {@linkcode PolicyStore} on Upstash Redis, on the backend's shared client.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { storeCall } from "../backends/store_call.ts";
import type { CollectionRef } from "../faces/face_store.ts";
import {
  legacyPolicyModels,
  type PolicyStore,
  type PolicyStoreOptions,
  redisCollectionPolicyKey,
  redisPolicyKey,
  type StoredPolicy,
} from "./policy_store.ts";

/**
 * A {@linkcode PolicyStore} on Redis: one JSON string per collection
 * ({@linkcode redisCollectionPolicyKey}); a policy under an old per-recipe key
 * ({@linkcode redisPolicyKey}) is moved on first read.
 */
export class UpstashPolicyStore implements PolicyStore {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #redis: Redis;
  #prefix: string;
  #options: PolicyStoreOptions;

  /**
   * Uses a client made by `upstashRedis` (raw replies).
   *
   * @param prefix String put before every key. Default: `"facegate:"`.
   * @param options See {@linkcode PolicyStoreOptions}.
   */
  constructor(redis: Redis, prefix = "facegate:", options: PolicyStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#options = options;
  }

  /** The collection's policy, or null (one `MGET` with the old keys). */
  async get(ref: CollectionRef): Promise<StoredPolicy | null> {
    const key = redisCollectionPolicyKey(ref.collection, this.#prefix);
    const legacy = legacyPolicyModels(ref, this.#options)
      .map((model) => redisPolicyKey({ model, collection: ref.collection }, this.#prefix));
    return await storeCall("upstash", "read a match policy", async () => {
      const [current, ...old] = await this.#redis.mget<unknown[]>(key, ...legacy);
      if (typeof current === "string") return JSON.parse(current) as StoredPolicy;
      const at = old.findIndex((v) => typeof v === "string");
      if (at < 0) return null;
      // Move it to the collection's key unless a writer got there first; drop the old keys.
      await this.#redis.set(key, old[at] as string, { nx: true });
      const stale = legacy.filter((_, i) => typeof old[i] === "string");
      await this.#redis.del(...stale);
      const now = await this.#redis.get(key);
      return JSON.parse(typeof now === "string" ? now : old[at] as string) as StoredPolicy;
    });
  }

  /** Replaces the collection's policy (stored whole). */
  async set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    return await storeCall("upstash", "write a match policy", async () => {
      await this.#redis.set(
        redisCollectionPolicyKey(ref.collection, this.#prefix),
        JSON.stringify(policy),
      );
    });
  }
}
