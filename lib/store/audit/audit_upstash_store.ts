/**
 * {@linkcode AuditStore} on Upstash Redis, on the backend's shared client: a sorted set per
 * collection ({@linkcode redisAuditKey}) of `id\tJSON` members scored by time; each append also
 * drops the events older than the TTL and renews the key's expiry.
 *
 * @module
 */
import type { Redis } from "@upstash/redis";
import { storeCall, unavailable } from "../backends/store_call.ts";
import type { CollectionRef } from "../faces/face_store.ts";
import {
  type AuditPage,
  type AuditRecord,
  type AuditStore,
  checkAuditCursor,
  redisAuditKey,
} from "./audit_store.ts";

const APPEND = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** An {@linkcode AuditStore} on Redis. */
export class UpstashAuditStore implements AuditStore {
  /** Always `"upstash"`. */
  readonly kind = "upstash";
  #redis: Redis;
  #prefix: string;
  #now: () => number;

  /** Uses a client made by `upstashRedis` (raw replies); `prefix` defaults to `"facegate:"`. */
  constructor(redis: Redis, prefix = "facegate:", now: () => number = Date.now) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#now = now;
  }

  /** Appends an event (one script: add, trim expired, renew expiry). */
  async append(ref: CollectionRef, event: AuditRecord, ttlMs: number): Promise<void> {
    const key = redisAuditKey(ref, this.#prefix);
    const now = this.#now();
    return await storeCall("upstash", "write an audit event", async () => {
      await this.#redis.eval(APPEND, [key], [
        String(parseInt(event.id.slice(0, 11), 36)),
        `${event.id}\t${JSON.stringify(event)}`,
        String(now - ttlMs),
        String(ttlMs),
      ]);
    });
  }

  /** Events newest first. */
  async list(ref: CollectionRef, options: { limit: number; cursor?: string }): Promise<AuditPage> {
    const cursor = checkAuditCursor(options.cursor);
    const key = redisAuditKey(ref, this.#prefix);
    // Members sort by id within a score (same ms); the cursor's own time is re-read and its
    // newer members skipped, so ties never lose or repeat an event.
    const max: number | "+inf" = cursor === undefined ? "+inf" : parseInt(cursor.slice(0, 11), 36);
    let members: string[];
    try {
      members = await this.#redis.zrange(key, max, "-inf", {
        byScore: true,
        rev: true,
        offset: 0,
        count: options.limit + 64,
      }) as string[];
    } catch (err) {
      throw unavailable("upstash", "list audit events", err);
    }
    const events = members
      .map((m) => JSON.parse(m.slice(m.indexOf("\t") + 1)) as AuditRecord)
      .filter((e) => cursor === undefined || e.id < cursor)
      .slice(0, options.limit + 1);
    const more = events.length > options.limit;
    if (more) events.pop();
    return { events, next_cursor: more ? events[events.length - 1].id : null };
  }
}
