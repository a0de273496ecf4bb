/**
 * {@linkcode PolicyStore} on Deno KV, on the backend's shared handle.
 *
 * @module
 */
import type { CollectionRef } from "./face_store.ts";
import { kvPolicyKey, type PolicyStore, type StoredPolicy } from "./policy_store.ts";
import { commitKv } from "./commit_kv.ts";
import { unavailable } from "./_store_common.ts";

/** A {@linkcode PolicyStore} on Deno KV (key {@linkcode kvPolicyKey}). */
export class KvPolicyStore implements PolicyStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];

  /**
   * Wraps an open handle (never closed here).
   *
   * @param prefix Key parts put before every key. Default: `["facegate"]`.
   */
  constructor(kv: Deno.Kv, prefix: Deno.KvKeyPart[] = ["facegate"]) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  /** The collection's policy, or null. */
  async get(ref: CollectionRef): Promise<StoredPolicy | null> {
    const key = kvPolicyKey(ref, this.#prefix);
    try {
      return (await this.#kv.get<StoredPolicy>(key)).value;
    } catch (err) {
      throw unavailable("kv", "read a match policy", err);
    }
  }

  /** Replaces the collection's policy. */
  async set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    const key = kvPolicyKey(ref, this.#prefix);
    try {
      await commitKv(this.#kv.atomic().set(key, policy));
    } catch (err) {
      throw unavailable("kv", "write a match policy", err);
    }
  }
}
