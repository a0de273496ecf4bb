/**
 * One backend per process: the one factory that opens everything a store kind needs. Faces, API
 * keys, idempotency records and (on Redis) rate-limit counters share one `Deno.Kv` handle or one
 * Redis client, and every Deno KV write goes through `commitKv` (lock contention is retried).
 *
 * @module
 */
import type { StoreConfig } from "../config.ts";
import { FaceError } from "../errors.ts";
import {
  type AuditStore,
  type FaceStore,
  type IdempotencyStore,
  KvAuditStore,
  KvFaceStore,
  KvIdempotencyStore,
  KvLivenessSessionStore,
  KvPolicyStore,
  type LivenessSessionStore,
  MemoryAuditStore,
  MemoryFaceStore,
  MemoryIdempotencyStore,
  MemoryLivenessSessionStore,
  MemoryPolicyStore,
  type PolicyStore,
  type RefusedRecord,
  type StoreEncryption,
  UpstashAuditStore,
  UpstashFaceStore,
  UpstashIdempotencyStore,
  UpstashLivenessSessionStore,
  UpstashPolicyStore,
  upstashRedis,
} from "../store/mod.ts";
import { type KeyStore, KvKeyStore, MemoryKeyStore, UpstashKeyStore } from "../auth/mod.ts";
import { type RateLimiter, UpstashRateLimiter } from "../ratelimit/mod.ts";

/** Everything stored, on one connection. */
export interface Backend {
  /** The store kind. */
  readonly kind: StoreConfig["kind"];
  /** Enrolled faces. */
  faces: FaceStore;
  /** API keys. */
  keys: KeyStore;
  /** Idempotency records (webhook deliveries, `Idempotency-Key` writes). */
  idempotency: IdempotencyStore;
  /** Each collection's match policy. */
  policies: PolicyStore;
  /** Each collection's audit trail. */
  audit: AuditStore;
  /** Liveness challenge sessions (short-lived). */
  liveness: LivenessSessionStore;
  /**
   * The shared rate limiter, on Redis only (undefined on memory and Deno KV, where the app limits
   * in memory, and when `rateLimit` is 0).
   */
  limiter?: RateLimiter;
  /** Closes the one handle (Deno KV); idempotent. */
  close(): Promise<void>;
}

/** Options for {@linkcode openBackend}. */
export interface OpenBackendOptions {
  /** Requests per minute of the shared Redis rate limiter; 0 disables it. Default: 0. */
  rateLimit?: number;
  /**
   * Encryption at rest of the face store (Deno KV and Redis): the master keyring, or `"off"`
   * (plain records, tests only). Default: on without a key (`"no_key"`): the backend opens (API
   * keys, policies… work) but no face can be written or read until a keyring is given — never
   * plain text by omission.
   */
  encryption?: StoreEncryption;
  /** Clock of the face store's `created_at` / `updated_at` (tests). Default: `() => new Date()`. */
  now?: () => Date;
  /** Faces per Redis gallery round trip. Default: `UpstashFaceStore`'s (2000). */
  galleryBatch?: number;
  /**
   * Called for each face record refused by sealed-only reads (encryption on: plain, foreign,
   * altered or moved records); the server logs it. Default: nothing (still counted).
   */
  onRefused?: (record: RefusedRecord) => void;
  /**
   * Every recipe id: a collection without a policy under its own key looks for one written under
   * an old per-recipe key of these (and moves it). Default: only the recipe of the request.
   */
  recipeIds?: readonly string[];
}

/**
 * Opens the backend of a store configuration: for Deno KV one `Deno.openKv` (creating the file's
 * directory first), for Upstash one Redis client, for memory fresh in-memory stores.
 *
 * @param config The store configuration (`Config.store`).
 * @param options See {@linkcode OpenBackendOptions}.
 * @returns The backend; release it with `close()`.
 * @throws {FaceError} `store_unavailable` when Deno KV cannot be opened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBackend } from "./open_backend.ts";
 * const backend = await openBackend({ kind: "kv", path: ":memory:" });
 * assert.deepEqual(
 *   [backend.faces.kind, backend.keys.kind, backend.idempotency.kind, backend.limiter],
 *   ["kv", "kv", "kv", undefined],
 * );
 * await backend.close();
 * ```
 */
export async function openBackend(
  config: StoreConfig,
  options: OpenBackendOptions = {},
): Promise<Backend> {
  if (config.kind === "memory") {
    return {
      kind: "memory",
      faces: new MemoryFaceStore({ now: options.now }),
      keys: new MemoryKeyStore(),
      idempotency: new MemoryIdempotencyStore(),
      policies: new MemoryPolicyStore(),
      audit: new MemoryAuditStore(),
      liveness: new MemoryLivenessSessionStore(),
      close: () => Promise.resolve(),
    };
  }
  if (config.kind === "upstash") {
    const redis = upstashRedis({ url: config.url, token: config.token });
    const prefix = config.prefix;
    const rateLimit = options.rateLimit ?? 0;
    return {
      kind: "upstash",
      faces: new UpstashFaceStore({
        redis,
        prefix,
        encryption: options.encryption ?? "no_key",
        now: options.now,
        galleryBatch: options.galleryBatch,
        onRefused: options.onRefused,
      }),
      keys: new UpstashKeyStore({ redis, prefix }),
      idempotency: new UpstashIdempotencyStore({ redis, prefix }),
      policies: new UpstashPolicyStore(redis, prefix, { legacyModels: options.recipeIds }),
      audit: new UpstashAuditStore(redis, prefix),
      liveness: new UpstashLivenessSessionStore(redis, prefix),
      limiter: rateLimit > 0
        ? new UpstashRateLimiter({ redis, prefix, limit: rateLimit })
        : undefined,
      close: () => Promise.resolve(),
    };
  }
  const kv = await openKv(config.path);
  let closed = false;
  return {
    kind: "kv",
    faces: new KvFaceStore(kv, {
      encryption: options.encryption ?? "no_key",
      now: options.now,
      onRefused: options.onRefused,
    }),
    keys: new KvKeyStore(kv),
    idempotency: new KvIdempotencyStore(kv),
    policies: new KvPolicyStore(kv, undefined, { legacyModels: options.recipeIds }),
    audit: new KvAuditStore(kv),
    liveness: new KvLivenessSessionStore(kv),
    close: () => {
      if (!closed) kv.close();
      closed = true;
      return Promise.resolve();
    },
  };
}

async function openKv(path: string): Promise<Deno.Kv> {
  if (typeof Deno.openKv !== "function") {
    throw new FaceError(
      "store_unavailable",
      'Cannot open the Deno KV database: Deno.openKv is missing (run with --unstable-kv or set "unstable": ["kv"] in deno.json)',
    );
  }
  try {
    const slash = path.lastIndexOf("/");
    if (path !== ":memory:" && slash > 0) {
      await Deno.mkdir(path.slice(0, slash), { recursive: true });
    }
    return await Deno.openKv(path);
  } catch (cause) {
    throw new FaceError("store_unavailable", "Cannot open the Deno KV database", { cause });
  }
}
