/**
 * The audit trail of each collection: who enrolled, deleted, changed the policy or loosened a
 * decision, kept for a configurable time and read newest first. The {@linkcode AuditStore} role,
 * its key schema and the memory implementation; events never hold embeddings or images.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import type { CollectionRef } from "../faces/face_store.ts";
import { SCHEMA_VERSION, validateName } from "../keys.ts";

/** One audit event as stored and answered. */
export interface AuditRecord {
  /** Unique, and ordered by time: a newer event has a greater id. */
  id: string;
  /** When it happened (ISO 8601). */
  time: string;
  /** What happened: `enroll`, `delete_subject`, `delete_face`, `delete_collection`, ... */
  action: string;
  /** The API key id, the request id, subject, face id and other small fields. */
  [field: string]: unknown;
}

/** A page of events, newest first. */
export interface AuditPage {
  /** The events. */
  events: AuditRecord[];
  /** Pass as `cursor` for the next (older) page; null at the end. */
  next_cursor: string | null;
}

/** Where audit events live. */
export interface AuditStore {
  /** `"memory"`, `"kv"` or `"upstash"`. */
  readonly kind: string;
  /**
   * Appends an event, kept `ttlMs`.
   *
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  append(ref: CollectionRef, event: AuditRecord, ttlMs: number): Promise<void>;
  /**
   * Events newest first, `limit` per page, after `cursor`.
   *
   * @throws {FaceError} `invalid_request` for a malformed cursor; `store_unavailable`.
   */
  list(ref: CollectionRef, options: { limit: number; cursor?: string }): Promise<AuditPage>;
}

/**
 * A new event id: the time in ms (fixed width, base 36) then random characters, so ids sort as
 * the events happened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auditEventId } from "./audit_store.ts";
 * assert.ok(auditEventId(2000) > auditEventId(1000));
 * assert.match(auditEventId(), /^[0-9a-z]{19}$/);
 * ```
 */
export function auditEventId(now = Date.now()): string {
  const rnd = crypto.getRandomValues(new Uint8Array(8));
  let tail = "";
  for (const b of rnd) tail += (b % 36).toString(36);
  return now.toString(36).padStart(11, "0") + tail;
}

/** The Deno KV prefix of a collection's audit events (key = prefix + event id). */
export function kvAuditPrefix(ref: CollectionRef, prefix: readonly Deno.KvKeyPart[]): Deno.KvKey {
  return [
    ...prefix,
    SCHEMA_VERSION,
    validateName("model", ref.model),
    validateName("collection", ref.collection),
    "audit",
  ];
}

/** The Redis key of a collection's audit events (a sorted set scored by time). */
export function redisAuditKey(ref: CollectionRef, prefix: string): string {
  const model = validateName("model", ref.model);
  const collection = validateName("collection", ref.collection);
  return `${prefix}${SCHEMA_VERSION}:{${model}|${collection}}:audit`;
}

/** Checks a cursor (an event id). */
export function checkAuditCursor(cursor: string | undefined): string | undefined {
  if (cursor !== undefined && !/^[0-9a-z]{19}$/.test(cursor)) {
    throw new FaceError("invalid_request", "Cannot list audit events: the cursor is malformed", {
      details: { field: "cursor" },
    });
  }
  return cursor;
}

/** An {@linkcode AuditStore} in memory. */
export class MemoryAuditStore implements AuditStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #events = new Map<string, { record: AuditRecord; expires: number }[]>();
  #now: () => number;

  /** @param now Clock in ms. Default: `Date.now`. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Appends an event. */
  append(ref: CollectionRef, event: AuditRecord, ttlMs: number): Promise<void> {
    const id = `${validateName("model", ref.model)}|${validateName("collection", ref.collection)}`;
    const list = this.#events.get(id) ?? [];
    list.push({ record: structuredClone(event), expires: this.#now() + ttlMs });
    this.#events.set(id, list);
    return Promise.resolve();
  }

  /** Events newest first. */
  list(ref: CollectionRef, options: { limit: number; cursor?: string }): Promise<AuditPage> {
    const cursor = checkAuditCursor(options.cursor);
    const now = this.#now();
    const all = (this.#events.get(`${ref.model}|${ref.collection}`) ?? [])
      .filter((e) => e.expires > now && (cursor === undefined || e.record.id < cursor))
      .map((e) => e.record)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    const events = all.slice(0, options.limit);
    return Promise.resolve({
      events: structuredClone(events),
      next_cursor: all.length > options.limit ? events[events.length - 1].id : null,
    });
  }
}
