/**
 * {@linkcode LivenessSessionStore} on Deno KV, on the backend's shared handle: entries expire
 * with `expireIn` and carry their own deadline (KV deletes expired keys lazily).
 *
 * @module
 */
import { kvLivenessKey } from "../keys.ts";
import { storeCall, unavailable } from "../backends/store_call.ts";
import type { LivenessSessionStore, StoredLivenessSession } from "./liveness_session_store.ts";
import { commitKv } from "../backends/commit_kv.ts";

/** A {@linkcode LivenessSessionStore} on Deno KV ({@linkcode kvLivenessKey}). */
export class KvLivenessSessionStore implements LivenessSessionStore {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #kv: Deno.Kv;
  #prefix: Deno.KvKeyPart[];
  #now: () => number;

  /**
   * Wraps an open handle (never closed here).
   *
   * @param prefix Key parts put before every key. Default: `["facegate"]`.
   * @param now Millisecond clock. Default: `Date.now`.
   */
  constructor(kv: Deno.Kv, prefix: Deno.KvKeyPart[] = ["facegate"], now = Date.now) {
    this.#kv = kv;
    this.#prefix = prefix;
    this.#now = now;
  }

  /** Writes a session. */
  async put(session: StoredLivenessSession, ttlMs: number): Promise<void> {
    const key = kvLivenessKey(session.id, "session", this.#prefix);
    const value = { session, until: this.#now() + ttlMs };
    return await storeCall("kv", "write a liveness session", async () => {
      await commitKv(this.#kv.atomic().set(key, value, { expireIn: ttlMs }));
    });
  }

  /** The session, or null. */
  async get(id: string): Promise<StoredLivenessSession | null> {
    const key = kvLivenessKey(id, "session", this.#prefix);
    let entry;
    try {
      entry = await this.#kv.get<{ session: StoredLivenessSession; until: number }>(key);
    } catch (err) {
      throw unavailable("kv", "read a liveness session", err);
    }
    const v = entry.value;
    return v && v.until > this.#now() ? v.session : null;
  }

  /** Marks the step once (atomic check-and-set on the marker's versionstamp). */
  async claim(id: string, step: "frames" | "token", ttlMs: number): Promise<boolean> {
    const key = kvLivenessKey(id, step, this.#prefix);
    return await storeCall("kv", "mark a liveness session", async () => {
      const entry = await this.#kv.get<{ until: number }>(key);
      if (entry.value && entry.value.until > this.#now()) return false;
      return await commitKv(
        this.#kv.atomic().check(entry).set(key, { until: this.#now() + ttlMs }, {
          expireIn: ttlMs,
        }),
      );
    });
  }
}
