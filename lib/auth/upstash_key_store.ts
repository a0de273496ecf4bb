/**
 * {@linkcode KeyStore} on Upstash Redis (REST), beside the faces: one hash
 * `prefix + "auth:v1:keys"` of key id -> record JSON (see `lib/store/keys.ts`). Creation is
 * `HSETNX`, so two keys never share an id.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { FaceError } from "../errors.ts";
import { redisAuthKeys, upstashClient, type UpstashClientOptions } from "../store/mod.ts";
import type { ApiKeyRecord } from "./api_key.ts";
import { byCreation, type KeyStore } from "./key_store.ts";

/** Options for {@linkcode UpstashKeyStore}. */
export interface UpstashKeyStoreOptions extends UpstashClientOptions {
  /** String put before every key. Default: `"facegate:"` (as `UpstashFaceStore`). */
  prefix?: string;
}

/**
 * A {@linkcode KeyStore} on Upstash Redis.
 *
 * @example
 * ```ts ignore
 * import { UpstashKeyStore } from "./upstash_key_store.ts";
 * const keys = new UpstashKeyStore({ url: "https://...", token: "..." });
 * console.log(await keys.list());
 * ```
 */
export class UpstashKeyStore implements KeyStore {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #redis: Redis;
  #hash: string;

  /** Creates the client; no request is made until the first call. */
  constructor(options: UpstashKeyStoreOptions) {
    this.#hash = redisAuthKeys(options.prefix ?? "facegate:").apiKeys;
    this.#redis = upstashClient(options);
  }

  /** Stores a new record; `conflict` when the id exists. */
  async insert(record: ApiKeyRecord): Promise<void> {
    const added = await this.#call(
      "create a key",
      () => this.#redis.hsetnx(this.#hash, record.id, JSON.stringify(record)),
    );
    if (Number(added) !== 1) {
      throw new FaceError("conflict", `Cannot create key ${record.id}: it exists`);
    }
  }

  /** The record, or null. */
  async get(id: string): Promise<ApiKeyRecord | null> {
    const raw = await this.#call("read a key", () => this.#redis.hget<string>(this.#hash, id));
    return raw === null || raw === undefined ? null : JSON.parse(raw) as ApiKeyRecord;
  }

  /** Every record, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const raw = await this.#call("list keys", () => this.#redis.hvals(this.#hash)) as string[];
    return raw.map((r) => JSON.parse(r) as ApiKeyRecord).sort(byCreation);
  }

  /** Marks the key revoked (read, then write: concurrent revocations agree on the outcome). */
  async revoke(id: string, at: string): Promise<ApiKeyRecord | null> {
    const record = await this.get(id);
    if (record === null) return null;
    if (record.revoked_at !== null) return record;
    const next = { ...record, revoked_at: at };
    await this.#call(
      "revoke a key",
      () => this.#redis.hset(this.#hash, { [id]: JSON.stringify(next) }),
    );
    return next;
  }

  /** Nothing to release: the REST client holds no connections of its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      throw new FaceError("store_unavailable", `Cannot ${action}: the upstash store failed`, {
        cause,
      });
    }
  }
}
