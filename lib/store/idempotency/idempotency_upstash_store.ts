/**
 * {@linkcode IdempotencyStore} on Upstash Redis (REST). `claim` is `SET key value NX PX lease`;
 * `complete` and `release` are Lua scripts that act only while the key still holds the caller's
 * exact pending value (its token), so a caller whose lease expired cannot overwrite a newer one.
 * `complete` indexes an answer that names subjects in the same script (a set of the collection's
 * indexed subjects, a hash per subject); `erase` is one script that tombstones every record naming
 * the target and deletes its index fields, and the index keys once empty.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import {
  type IdempotencyClaim,
  type IdempotencyErasure,
  type IdempotencyMentions,
  type IdempotencyRecord,
  type IdempotencyRef,
  type IdempotencyStore,
  type StoredResponse,
} from "./idempotency_store.ts";
import {
  checkErasure,
  checkMentions,
  claimWithRetries,
  pendingRecord,
} from "./idempotency_records.ts";
import { redisIdempotencyIndexKeys, redisIdempotencyKey } from "./idempotency_keys.ts";
import { SCHEMA_VERSION } from "../keys.ts";
import { storeCall } from "../backends/store_call.ts";
import { upstashClient, type UpstashClientOptions } from "../backends/upstash_redis.ts";

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

// KEYS: record, the collection's subject set, then one hash per subject named.
// ARGV: token, value, ttl ms, hash field (scope:key), then the subjects, then their faces (JSON).
const COMPLETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
local n = #KEYS - 2
local function extend(key)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
for i = 1, n do
  redis.call('SADD', KEYS[2], ARGV[4 + i])
  redis.call('HSET', KEYS[2 + i], ARGV[4], ARGV[4 + n + i])
  extend(KEYS[2 + i])
end
if n > 0 then extend(KEYS[2]) end
return 1`;

// KEYS: the collection's subject set. ARGV: record key prefix, subject hash prefix, collection,
// subject ('' = all), face id ('' = any), erasure time.
const ERASE = `
local subjects = ARGV[4] == '' and redis.call('SMEMBERS', KEYS[1]) or {ARGV[4]}
local function names(m, s, face)
  if type(m) ~= 'table' or m.collection ~= ARGV[3] then return false end
  for _, e in ipairs(m.subjects) do
    if e.subject == s then
      if face == '' then return true end
      for _, f in ipairs(e.faces) do if f == face then return true end end
    end
  end
  return false
end
local function drop(hash, s, field)
  redis.call('HDEL', hash, field)
  if redis.call('EXISTS', hash) == 0 then redis.call('SREM', KEYS[1], s) end
end
local erased = 0
for _, s in ipairs(subjects) do
  local hash = ARGV[2] .. s
  local fields = redis.call('HGETALL', hash)
  for i = 1, #fields, 2 do
    local field = fields[i]
    local hit = ARGV[5] == ''
    if not hit then
      for _, f in ipairs(cjson.decode(fields[i + 1])) do if f == ARGV[5] then hit = true end end
    end
    if hit then
      local rk = ARGV[1] .. field
      local raw = redis.call('GET', rk)
      local v = raw and cjson.decode(raw)
      if v and v.record.state == 'done' and names(v.mentions, s, ARGV[5]) then
        for _, e in ipairs(v.mentions.subjects) do drop(ARGV[2] .. e.subject, e.subject, field) end
        local tomb = { state = 'erased', fingerprint = v.record.fingerprint, erased_at = ARGV[6] }
        redis.call('SET', rk, cjson.encode({ record = tomb, token = '' }), 'KEEPTTL')
        erased = erased + 1
      end
      drop(hash, s, field)
    end
  end
end
return erased`;

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
  #complete: ReturnType<Redis["createScript"]>;
  #erase: ReturnType<Redis["createScript"]>;
  #drop: ReturnType<Redis["createScript"]>;

  /** Creates the client; no request is made until the first call. */
  constructor(options: UpstashIdempotencyStoreOptions) {
    this.#prefix = options.prefix ?? "facegate:";
    this.#now = options.now ?? Date.now;
    this.#redis = upstashClient(options);
    this.#swap = this.#redis.createScript(SWAP);
    this.#complete = this.#redis.createScript(COMPLETE);
    this.#erase = this.#redis.createScript(ERASE);
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
      return await claimWithRetries(async () => {
        const record = pendingRecord(fingerprint, this.#now());
        const value = JSON.stringify({ record, token: crypto.randomUUID() });
        const set = await this.#redis.set(key, value, { nx: true, px: Math.max(1, leaseMs) });
        if (set !== null) return { claimed: true, token: value };
        const held = await this.#redis.get<string>(key);
        if (held === null) return undefined;
        return {
          claimed: false,
          record: (JSON.parse(held) as { record: IdempotencyRecord }).record,
        };
      });
    });
  }

  /** Replaces the caller's lease by the response for `ttlMs`; one script call. */
  async complete(
    ref: IdempotencyRef,
    token: string,
    response: StoredResponse,
    ttlMs: number,
    mentions?: IdempotencyMentions,
  ): Promise<boolean> {
    const key = redisIdempotencyKey(ref, this.#prefix);
    const named = mentions && checkMentions(mentions);
    const fingerprint = pendingFingerprint(token);
    if (fingerprint === undefined) return false;
    const record: IdempotencyRecord = {
      state: "done",
      fingerprint,
      response,
      completed_at: new Date(this.#now()).toISOString(),
    };
    const ttl = String(Math.max(1, ttlMs));
    if (!named) {
      const value = JSON.stringify({ record, token: "" });
      const n = await this.#call(
        "complete an idempotency key",
        () => this.#swap.exec([key], [token, value, ttl]),
      );
      return Number(n) === 1;
    }
    const value = JSON.stringify({ record, token: "", mentions: named });
    const index = redisIdempotencyIndexKeys(named, this.#prefix);
    const subjects = named.subjects.map((m) => m.subject);
    const n = await this.#call(
      "complete an idempotency key",
      () =>
        this.#complete.exec(
          [key, index.subjects, ...subjects.map(index.subject)],
          [
            token,
            value,
            ttl,
            `${ref.scope}:${ref.key}`,
            ...subjects,
            ...named.subjects.map((m) => JSON.stringify(m.faces)),
          ],
        ),
    );
    return Number(n) === 1;
  }

  /** Erases every done record naming the target; one script call. */
  async erase(target: IdempotencyErasure): Promise<number> {
    const { collection, subject, faceId } = checkErasure(target);
    const index = redisIdempotencyIndexKeys(target, this.#prefix);
    const n = await this.#call(
      "erase idempotency records",
      () =>
        this.#erase.exec([index.subjects], [
          `${this.#prefix}${SCHEMA_VERSION}:idempotency:`,
          index.subject(""),
          collection,
          subject ?? "",
          faceId ?? "",
          new Date(this.#now()).toISOString(),
        ]),
    );
    return Number(n);
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

  #call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return storeCall("upstash", action, fn);
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
