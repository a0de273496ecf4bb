/**
 * {@linkcode IdempotencyStore} on Upstash Redis (REST). `claim` is `SET key value NX PX lease`;
 * `complete` and `release` are Lua scripts that act only while the key still holds the caller's
 * exact pending value (its token), so a caller whose lease expired cannot overwrite a newer one.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import {
  type IdempotencyClaim,
  type IdempotencyRecord,
  type IdempotencyRef,
  type IdempotencyStore,
  redisIdempotencyKey,
  type StoredResponse,
} from "./idempotency_store.ts";
import { unavailable } from "./_store_common.ts";
import { upstashClient, type UpstashClientOptions } from "./upstash_redis.ts";
import { FaceError } from "../errors.ts";

/** Options for {@linkcode UpstashIdempotencyStore}. */
export interface UpstashIdempotencyStoreOptions extends UpstashClientOptions {
  /** String put before every key. Default: `"facegate:"`. */
  prefix?: string;
  /** Clock in ms since the epoch (for the ISO times in records). Default: `Date.now`. */
  now?: () => number;
}

const SWAP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const DROP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * An {@linkcode IdempotencyStore} on Upstash Redis. The token handed out by `claim` is the exact
 * pending value written (it holds a random UUID).
 *
 * @example
 * ```ts ignore
 * import { UpstashIdempotencyStore } from "./idempotency_upstash_store.ts";
 * const store = new UpstashIdempotencyStore({ url: "https://...", token: "..." });
 * ```
 */
export class UpstashIdempotencyStore implements IdempotencyStore {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #redis: Redis;
  #prefix: string;
  #now: () => number;
  #swap: ReturnType<Redis["createScript"]>;
  #drop: ReturnType<Redis["createScript"]>;

  /** Creates the client; no request is made until the first call. */
  constructor(options: UpstashIdempotencyStoreOptions) {
    this.#prefix = options.prefix ?? "facegate:";
    this.#now = options.now ?? Date.now;
    this.#redis = upstashClient(options);
    this.#swap = this.#redis.createScript(SWAP);
    this.#drop = this.#redis.createScript(DROP);
  }

  /** `SET NX PX`, else the current record; one or two round trips. */
  async claim(
    ref: IdempotencyRef,
    fingerprint: string,
    leaseMs: number,
  ): Promise<IdempotencyClaim> {
    const key = redisIdempotencyKey(ref, this.#prefix);
    return await this.#call("claim an idempotency key", async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        const record: IdempotencyRecord = {
          state: "pending",
          fingerprint,
          started_at: new Date(this.#now()).toISOString(),
        };
        const value = JSON.stringify({ record, token: crypto.randomUUID() });
        const set = await this.#redis.set(key, value, { nx: true, px: Math.max(1, leaseMs) });
        if (set !== null) return { claimed: true, token: value };
        const held = await this.#redis.get<string>(key);
        if (held !== null) {
          return {
            claimed: false,
            record: (JSON.parse(held) as { record: IdempotencyRecord }).record,
          };
        }
      }
      throw new FaceError("conflict", "Cannot claim idempotency key: too many concurrent writes");
    });
  }

  /** Replaces the caller's lease by the response for `ttlMs`; one script call. */
  async complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
  ): Promise<boolean> {
    const key = redisIdempotencyKey(ref, this.#prefix);
    const fingerprint = pendingFingerprint(token);
    if (fingerprint === undefined) return false;
    const record: IdempotencyRecord = {
      state: "done",
      fingerprint,
      response,
      completed_at: new Date(this.#now()).toISOString(),
    };
    const value = JSON.stringify({ record, token: "" });
    const n = await this.#call(
      "complete an idempotency key",
      () => this.#swap.exec([key], [token, value, String(Math.max(1, ttlMs))]),
    );
    return Number(n) === 1;
  }

  /** Drops the caller's lease; one script call. */
  async release(ref: IdempotencyRef, token: string): Promise<boolean> {
    const key = redisIdempotencyKey(ref, this.#prefix);
    const n = await this.#call("release an idempotency key", () => this.#drop.exec([key], [token]));
    return Number(n) === 1;
  }

  /** Nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  async #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable("upstash", action, err);
    }
  }
}

/** The fingerprint inside a pending value (a claim token), or undefined for a foreign token. */
function pendingFingerprint(token: string): string | undefined {
  try {
    const { record } = JSON.parse(token) as { record?: IdempotencyRecord };
    return record?.state === "pending" ? record.fingerprint : undefined;
  } catch {
    return undefined;
  }
}
