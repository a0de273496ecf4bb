/**
 * {@linkcode KeyStore} on Deno KV, in the same database as the faces (key
 * `[...prefix, "auth", "v1", "key", id]`, see `lib/store/keys.ts`).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { commitKv, kvApiKeyKey } from "../store/mod.ts";
import type { ApiKeyRecord } from "./api_key.ts";
import { byCreation, type KeyStore } from "./key_store.ts";

/** Options for {@linkcode KvKeyStore}. */
export interface KvKeyStoreOptions {
  /** Key parts put before every key. Default: `["facegate"]` (as `KvFaceStore`). */
  prefix?: Deno.KvKeyPart[];
  /** Whether `close()` closes the handle. Default: false (true from `open`). */
  ownsKv?: boolean;
}

function unavailable(action: string, cause: unknown): FaceError {
  if (cause instanceof FaceError) return cause;
  return new FaceError("store_unavailable", `Cannot ${action}: the kv store failed`, { cause });
}

/**
 * A {@linkcode KeyStore} on Deno KV.
 *
 * @example
 * ```ts ignore
 * import { KvKeyStore } from "./kv_key_store.ts";
 * const keys = await KvKeyStore.open("./data/facegate.kv");
 * console.log(await keys.list());
 * await keys.close();
 * ```
 */
export class KvKeyStore implements KeyStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];
  #ownsKv: boolean;
  #closed = false;

  /** Wraps an open handle (closed by `close()` only when `options.ownsKv`). */
  constructor(kv: Deno.Kv, options: KvKeyStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["facegate"];
    this.#ownsKv = options.ownsKv ?? false;
  }

  /**
   * Opens Deno KV at `path` (the face store's file) and returns a store owning the handle.
   *
   * @throws {FaceError} `store_unavailable` when the database cannot be opened.
   */
  static async open(path?: string, options: KvKeyStoreOptions = {}): Promise<KvKeyStore> {
    try {
      return new KvKeyStore(await Deno.openKv(path), { ownsKv: true, ...options });
    } catch (cause) {
      throw unavailable("open the Deno KV database", cause);
    }
  }

  /** Stores a new record; `conflict` when the id exists. */
  async insert(record: ApiKeyRecord): Promise<void> {
    const key = kvApiKeyKey(this.#prefix, record.id);
    const ok = await this.#call(
      "create a key",
      () => commitKv(this.#kv.atomic().check({ key, versionstamp: null }).set(key, record)),
    );
    if (!ok) throw new FaceError("conflict", `Cannot create key ${record.id}: it exists`);
  }

  /** The record, or null. */
  async get(id: string): Promise<ApiKeyRecord | null> {
    const e = await this.#call(
      "read a key",
      () => this.#kv.get<ApiKeyRecord>(kvApiKeyKey(this.#prefix, id)),
    );
    return e.value;
  }

  /** Every record, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    return await this.#call("list keys", async () => {
      const out: ApiKeyRecord[] = [];
      for await (const e of this.#kv.list<ApiKeyRecord>({ prefix: kvApiKeyKey(this.#prefix) })) {
        out.push(e.value);
      }
      return out.sort(byCreation);
    });
  }

  /** Marks the key revoked, retrying on a concurrent write. */
  async revoke(id: string, at: string): Promise<ApiKeyRecord | null> {
    const key = kvApiKeyKey(this.#prefix, id);
    return await this.#call("revoke a key", async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const e = await this.#kv.get<ApiKeyRecord>(key);
        if (e.value === null) return null;
        if (e.value.revoked_at !== null) return e.value;
        const next = { ...e.value, revoked_at: at };
        if (await commitKv(this.#kv.atomic().check(e).set(key, next))) return next;
      }
      throw new FaceError("conflict", `Cannot revoke key ${id}: it is being written concurrently`);
    });
  }

  /** Closes the handle when owned; idempotent. */
  close(): Promise<void> {
    if (this.#ownsKv && !this.#closed) this.#kv.close();
    this.#closed = true;
    return Promise.resolve();
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(action, err);
    }
  }
}
