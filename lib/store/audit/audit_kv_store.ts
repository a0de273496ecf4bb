/**
 * {@linkcode AuditStore} on Deno KV, on the backend's shared handle: one key per event under
 * {@linkcode kvAuditPrefix}, written with `expireIn`.
 *
 * @module
 */
import type { CollectionRef } from "../faces/face_store.ts";
import { storeCall } from "../backends/store_call.ts";
import {
  type AuditPage,
  type AuditRecord,
  type AuditStore,
  checkAuditCursor,
  kvAuditPrefix,
} from "./audit_store.ts";
import { commitKv } from "../backends/commit_kv.ts";

/** An {@linkcode AuditStore} on Deno KV. */
export class KvAuditStore implements AuditStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];

  /** Wraps an open handle (never closed here); `prefix` defaults to `["facegate"]`. */
  constructor(kv: Deno.Kv, prefix: Deno.KvKeyPart[] = ["facegate"]) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  /** Appends an event. */
  async append(ref: CollectionRef, event: AuditRecord, ttlMs: number): Promise<void> {
    const key = [...kvAuditPrefix(ref, this.#prefix), event.id];
    return await storeCall("kv", "write an audit event", async () => {
      await commitKv(this.#kv.atomic().set(key, event, { expireIn: ttlMs }));
    });
  }

  /** Events newest first (expired ones may linger until Deno KV deletes them: filtered here). */
  async list(ref: CollectionRef, options: { limit: number; cursor?: string }): Promise<AuditPage> {
    const cursor = checkAuditCursor(options.cursor);
    const prefix = kvAuditPrefix(ref, this.#prefix);
    const selector: Deno.KvListSelector = cursor === undefined
      ? { prefix }
      : { prefix, end: [...prefix, cursor] };
    return await storeCall("kv", "list audit events", async () => {
      const events: AuditRecord[] = [];
      const iter = this.#kv.list<AuditRecord>(selector, {
        reverse: true,
        limit: options.limit + 1,
      });
      for await (const e of iter) events.push(e.value);
      const more = events.length > options.limit;
      if (more) events.pop();
      return { events, next_cursor: more ? events[events.length - 1].id : null };
    });
  }
}
