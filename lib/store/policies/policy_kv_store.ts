/**
 * {@linkcode PolicyStore} on Deno KV, on the backend's shared handle.
 *
 * @module
 */
import type { CollectionRef } from "../faces/face_store.ts";
import { storeCall } from "../backends/store_call.ts";
import {
  kvCollectionPolicyKey,
  kvPolicyKey,
  legacyPolicyModels,
  type PolicyStore,
  type PolicyStoreOptions,
  type StoredPolicy,
} from "./policy_store.ts";
import { commitKv } from "../backends/commit_kv.ts";

/**
 * A {@linkcode PolicyStore} on Deno KV (key {@linkcode kvCollectionPolicyKey}; policies under the
 * old per-recipe key {@linkcode kvPolicyKey} are moved on first read, in one atomic commit).
 */
export class KvPolicyStore implements PolicyStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];
  #options: PolicyStoreOptions;

  /**
   * Wraps an open handle (never closed here).
   *
   * @param prefix Key parts put before every key. Default: `["facegate"]`.
   * @param options See {@linkcode PolicyStoreOptions}.
   */
  constructor(
    kv: Deno.Kv,
    prefix: Deno.KvKeyPart[] = ["facegate"],
    options: PolicyStoreOptions = {},
  ) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#options = options;
  }

  /** The collection's policy, or null (one `getMany` with the old keys). */
  async get(ref: CollectionRef): Promise<StoredPolicy | null> {
    const key = kvCollectionPolicyKey(ref.collection, this.#prefix);
    const legacy = legacyPolicyModels(ref, this.#options)
      .map((model) => kvPolicyKey({ model, collection: ref.collection }, this.#prefix));
    return await storeCall("kv", "read a match policy", async () => {
      const [current, ...old] = await this.#kv.getMany<StoredPolicy[]>([key, ...legacy]);
      if (current.value !== null) return current.value;
      const found = old.find((e) => e.value !== null);
      if (found === undefined) return null;
      // Move it to the collection's key (unless a writer got there first), once.
      const op = this.#kv.atomic().check(current, found).set(key, found.value);
      for (const e of old) if (e.value !== null) op.delete(e.key);
      if (await commitKv(op)) return found.value;
      return (await this.#kv.get<StoredPolicy>(key)).value ?? found.value;
    });
  }

  /** Replaces the collection's policy (stored whole). */
  async set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    const key = kvCollectionPolicyKey(ref.collection, this.#prefix);
    return await storeCall("kv", "write a match policy", async () => {
      await commitKv(this.#kv.atomic().set(key, policy));
    });
  }
}
