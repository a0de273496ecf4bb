/**
 * {@linkcode IdempotencyStore} on Deno KV. `claim` is an atomic check-and-set on the key's
 * versionstamp; records are written with `expireIn` (lease or TTL) and also carry `expires_at`,
 * because Deno KV deletes expired keys lazily. An answer that names subjects is indexed under each
 * (`[..."idempotency_index", model, collection, subject, scope, key]`) in the same atomic commit,
 * so {@linkcode KvIdempotencyStore.erase} finds it; erasing a record is one atomic commit too.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import { storeCall } from "../backends/store_call.ts";
import {
  type IdempotencyClaim,
  type IdempotencyErasure,
  type IdempotencyMentions,
  type IdempotencyRef,
  type IdempotencyStore,
  type StoredIdempotency,
  type StoredResponse,
} from "./idempotency_store.ts";
import {
  checkErasure,
  checkMentions,
  claimWithRetries,
  erasedRecord,
  mentionsTarget,
  pendingRecord,
} from "./idempotency_records.ts";
import { kvIdempotencyIndexKey, kvIdempotencyKey } from "./idempotency_keys.ts";
import { commitKv } from "../backends/commit_kv.ts";

/** Options for {@linkcode KvIdempotencyStore}. */
export interface KvIdempotencyStoreOptions {
  /** Key parts put before every key. Default: `["facegate"]`. */
  prefix?: Deno.KvKeyPart[];
  /** Clock in ms since the epoch. Default: `Date.now`. */
  now?: () => number;
  /** Whether `close()` closes the handle. Default: false (true from `open`). */
  ownsKv?: boolean;
}

const ATTEMPTS = 10;

/**
 * An {@linkcode IdempotencyStore} on Deno KV.
 *
 * @example
 * ```ts ignore
 * import { KvIdempotencyStore } from "./idempotency_kv_store.ts";
 * const store = await KvIdempotencyStore.open(":memory:");
 * const claim = await store.claim({ scope: "webhook", key: "msg_1" }, "fp", 60_000);
 * await store.close();
 * ```
 */
export class KvIdempotencyStore implements IdempotencyStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];
  #now: () => number;
  #ownsKv: boolean;
  #closed = false;

  /**
   * Wraps an open handle.
   *
   * @param kv The handle; closed by `close()` only when `options.ownsKv` is true.
   * @param options See {@linkcode KvIdempotencyStoreOptions}.
   */
  constructor(kv: Deno.Kv, options: KvIdempotencyStoreOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? ["facegate"];
    this.#now = options.now ?? Date.now;
    this.#ownsKv = options.ownsKv ?? false;
  }

  /**
   * Opens Deno KV at `path` and returns a store owning the handle.
   *
   * @throws {FaceError} `store_unavailable` when the database cannot be opened.
   */
  static async open(
    path?: string,
    options: KvIdempotencyStoreOptions = {},
  ): Promise<KvIdempotencyStore> {
    return await storeCall("kv", "open the Deno KV database", async () => {
      return new KvIdempotencyStore(await Deno.openKv(path), { ownsKv: true, ...options });
    });
  }

  /** Takes the key for `leaseMs` when absent (atomic), else returns its record. */
  async claim(
    ref: IdempotencyRef,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    const key = kvIdempotencyKey(ref, this.#prefix);
    return await this.#call("claim an idempotency key", async () => {
      return await claimWithRetries(async () => {
        const entry = await this.#kv.get<StoredIdempotency>(key);
        const now = this.#now();
        if (entry.value !== null && entry.value.expires_at > now) {
          return { claimed: false, record: entry.value.record };
        }
        const token = crypto.randomUUID();
        const value: StoredIdempotency = {
          record: pendingRecord(fingerprint, now),
          token,
          expires_at: now + leaseMs,
        };
        const ok = await commitKv(
          this.#kv.atomic().check(entry).set(key, value, { expireIn: leaseMs }),
        );
        return ok ? { claimed: true, token } : undefined;
      });
    });
  }

  /** Replaces the caller's lease by the response for `ttlMs` (atomic). */
  async complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
    mentions?: IdempotencyMentions,
  ): Promise<boolean> {
    const key = kvIdempotencyKey(ref, this.#prefix);
    const named = mentions && checkMentions(mentions);
    return await this.#call("complete an idempotency key", async () => {
      const entry = await this.#kv.get<StoredIdempotency>(key);
      const v = entry.value;
      const now = this.#now();
      if (v === null || v.expires_at <= now || v.record.state !== "pending" || v.token !== token) {
        return false;
      }
      const value: StoredIdempotency = {
        record: {
          state: "done",
          fingerprint: v.record.fingerprint,
          response,
          completed_at: new Date(now).toISOString(),
        },
        token: "",
        expires_at: now + ttlMs,
        ...(named ? { mentions: named } : {}),
      };
      const op = this.#kv.atomic().check(entry).set(key, value, { expireIn: ttlMs });
      for (const { subject, faces } of named?.subjects ?? []) {
        op.set(
          kvIdempotencyIndexKey(named!, subject, ref, this.#prefix),
          { faces, expires_at: value.expires_at },
          { expireIn: ttlMs },
        );
      }
      return await commitKv(op);
    });
  }

  /**
   * Erases every done record naming the target: lists the index entries of the collection (or
   * subject), and per record one atomic commit writes the tombstone and deletes all its index
   * entries (retried when the record changed meanwhile).
   */
  async erase(target: IdempotencyErasure): Promise<number> {
    const { subject, faceId } = checkErasure(target);
    const prefix = kvIdempotencyIndexKey(target, subject, undefined, this.#prefix);
    return await this.#call("erase idempotency records", async () => {
      let erased = 0;
      const iter = this.#kv.list<{ faces: string[] }>({ prefix });
      for await (const entry of iter) {
        if (faceId !== undefined && !entry.value.faces?.includes(faceId)) continue;
        const [named, scope, key] = entry.key.slice(-3) as [string, string, string];
        if (await this.#eraseOne({ scope, key }, { ...target, subject: named }, entry.key)) {
          erased++;
        }
      }
      return erased;
    });
  }

  /** Tombstones one record when it still names `target`; always drops `indexKey`. */
  async #eraseOne(
    ref: IdempotencyRef,
    target: IdempotencyErasure,
    indexKey: Deno.KvKey,
  ): Promise<boolean> {
    const key = kvIdempotencyKey(ref, this.#prefix);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const entry = await this.#kv.get<StoredIdempotency>(key);
      const v = entry.value;
      const now = this.#now();
      const op = this.#kv.atomic().check(entry).delete(indexKey);
      const hit = v !== null && v.expires_at > now && v.record.state === "done" &&
        mentionsTarget(v.mentions, target);
      if (hit) {
        const tombstone: StoredIdempotency = {
          record: erasedRecord(v.record.fingerprint, now),
          token: "",
          expires_at: v.expires_at,
        };
        op.set(key, tombstone, { expireIn: v.expires_at - now });
        for (const m of v.mentions!.subjects) {
          op.delete(kvIdempotencyIndexKey(v.mentions!, m.subject, ref, this.#prefix));
        }
      }
      if (await commitKv(op)) return hit;
    }
    throw new FaceError(
      "conflict",
      "Cannot erase an idempotency record: too many concurrent writes",
    );
  }

  /** Drops the caller's lease (atomic). */
  async release(ref: IdempotencyRef, token: string): Promise<boolean> {
    const key = kvIdempotencyKey(ref, this.#prefix);
    return await this.#call("release an idempotency key", async () => {
      const entry = await this.#kv.get<StoredIdempotency>(key);
      const v = entry.value;
      if (v === null || v.record.state !== "pending" || v.token !== token) return false;
      return await commitKv(this.#kv.atomic().check(entry).delete(key));
    });
  }

  /** Closes the handle when owned; idempotent. */
  close(): Promise<void> {
    if (this.#ownsKv && !this.#closed) this.#kv.close();
    this.#closed = true;
    return Promise.resolve();
  }

  #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return storeCall("kv", action, fn);
  }
}
