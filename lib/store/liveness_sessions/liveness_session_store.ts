/**
 * Where liveness challenge sessions live between `POST /v1/liveness/sessions`, the burst of
 * frames and the redemption of the token, so that every worker and isolate agrees: the
 * {@linkcode LivenessSessionStore} role and its memory implementation (Deno KV and Upstash beside
 * it). Keys: {@linkcode kvLivenessKey}, {@linkcode redisLivenessKey}.
 *
 * @module
 */
import { validateLivenessSessionId } from "../keys.ts";

/** A challenge session as stored. */
export interface StoredLivenessSession {
  /** Random id (22 base64url characters). */
  id: string;
  /** Random value the frames must carry back. */
  nonce: string;
  /** The moves asked for, in order (`turn_left`, `turn_right`, `blink`). */
  challenge: string[];
  /** The embedder recipe the session's frames are embedded with (the collection's). */
  model: string;
  /** The collection whose recipe was chosen, when one was named. */
  collection?: string;
  /** Creation time, ms since the epoch. */
  created_at: number;
  /** Time after which frames are refused, ms since the epoch. */
  expires_at: number;
  /** Set when a burst passed: what its token vouches for. */
  passed?: {
    /** The burst's mean face, unit length, int8-quantised components as base64. */
    embedding: string;
    /** The quantisation step (`v[i] ≈ data[i] · scale`). */
    scale: number;
    /** The lowest passive score over the judged frames. */
    score: number;
    /** When the token expires, ms since the epoch. */
    token_expires_at: number;
  };
}

/** Storage of challenge sessions; failures of the backing service throw `store_unavailable`. */
export interface LivenessSessionStore {
  /** `"memory"`, `"kv"` or `"upstash"`. */
  readonly kind: string;
  /** Writes (or replaces) a session, kept `ttlMs`. */
  put(session: StoredLivenessSession, ttlMs: number): Promise<void>;
  /** The session, or null when unknown or expired. */
  get(id: string): Promise<StoredLivenessSession | null>;
  /**
   * Marks one single-use step of a session (`frames`: a burst was sent; `token`: its token was
   * redeemed) for `ttlMs`, atomically: of concurrent callers exactly one gets true.
   */
  claim(id: string, step: "frames" | "token", ttlMs: number): Promise<boolean>;
}

/** A {@linkcode LivenessSessionStore} in memory (tests, `FACEGATE_STORE=memory`, one isolate). */
export class MemoryLivenessSessionStore implements LivenessSessionStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #entries = new Map<string, { value: StoredLivenessSession | true; until: number }>();
  #now: () => number;

  /** @param now Millisecond clock. Default: `Date.now`. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, e] of this.#entries) if (e.until <= now) this.#entries.delete(k);
  }

  /** Writes a session (a copy). */
  put(session: StoredLivenessSession, ttlMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#sweep();
      const id = validateLivenessSessionId(session.id);
      this.#entries.set(`${id}:session`, {
        value: structuredClone(session),
        until: this.#now() + ttlMs,
      });
      resolve();
    });
  }

  /** The session (a copy), or null. */
  get(id: string): Promise<StoredLivenessSession | null> {
    return new Promise((resolve) => {
      this.#sweep();
      const e = this.#entries.get(`${validateLivenessSessionId(id)}:session`);
      resolve(e && e.value !== true ? structuredClone(e.value) : null);
    });
  }

  /** Marks the step once. */
  claim(id: string, step: "frames" | "token", ttlMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      this.#sweep();
      const key = `${validateLivenessSessionId(id)}:${step}`;
      if (this.#entries.has(key)) return resolve(false);
      this.#entries.set(key, { value: true, until: this.#now() + ttlMs });
      resolve(true);
    });
  }
}
