/**
 * The server's configuration, parsed from an environment map. Pure: the entry files read the
 * environment once and pass it here; nothing in `lib/` reads `Deno.env`.
 *
 * | variable                   | default                                           |
 * | -------------------------- | ------------------------------------------------- |
 * | `PORT`                     | `8000` (`0` picks a free port)                    |
 * | `HOST`                     | `127.0.0.1`                                       |
 * | `FACEGATE_STORE`           | `kv`, or `upstash` when Upstash credentials are set |
 * | `FACEGATE_KV_PATH`         | `./data/facegate.kv`                              |
 * | `UPSTASH_REDIS_REST_URL` / `_TOKEN` (or `KV_REST_API_URL` / `KV_REST_API_TOKEN`) | none |
 * | `FACEGATE_MAX_BODY_BYTES`  | 20 MiB                                            |
 * | `FACEGATE_MAX_PIXELS`      | none (the decoder's default)                      |
 * | `FACEGATE_BODY_IDLE_TIMEOUT_MS` | `10000` (408 when no body byte arrives for this long) |
 * | `FACEGATE_BODY_TIMEOUT_MS` | `30000` (408 when the whole body takes longer)    |
 * | `FACEGATE_MAX_INFLIGHT_BODY_BYTES` | 64 MiB (503 beyond: all bodies held at once) |
 * | `FACEGATE_MAX_CONCURRENT`  | `0` = the number of cores (pipeline requests at once) |
 * | `FACEGATE_MAX_QUEUED`      | `32` (pipeline requests waiting; 503 beyond)      |
 * | `FACEGATE_MAX_DECODED_BYTES` | none (the decoder's default, 48 MiB): memory budget of one decode |
 * | `FACEGATE_ORT_THREADS`     | `1`                                               |
 * | `FACEGATE_MATCH_STRATEGY`  | {@linkcode DEFAULT_MATCH_STRATEGY}                |
 * | `FACEGATE_AUTH`            | `keys` (API keys required); `off` only for development |
 * | `FACEGATE_RATE_LIMIT`      | `120` requests per minute per key; `0` disables; `0` when `FACEGATE_AUTH=off` |
 * | `FACEGATE_KEY_PEPPER`      | none (keys hashed with SHA-256); a secret of ≥ 16 chars: HMAC-SHA-256 |
 * | `FACEGATE_REDIS_PREFIX`    | `facegate:` (prefix of every Redis key)           |
 * | `FACEGATE_CORS_ORIGINS`    | none; `*` or a comma list of origins allowed to call from a browser |
 * | `FACEGATE_WEBHOOK_*`       | see `lib/webhook/webhook_config.ts`               |
 * | `FACEGATE_ENCRYPTION`      | `on` (templates sealed at rest); `off` only for tests |
 * | `FACEGATE_MASTER_KEY`      | none; base64 of 32 bytes, several comma-separated (newest first) |
 * | `FACEGATE_MASTER_KEY_FILE` | `master.key` beside the KV file (Deno KV store only) |
 * | `FACEGATE_AUDIT_TTL_DAYS`  | `90`: how long audit events are kept (1..3650)     |
 * | `FACEGATE_PURGE_INTERVAL_MINUTES` | `10`: a match request starts a background purge of its collection's expired faces at most this often per isolate (0..1440; 0: never) |
 *
 * Empty values count as unset.
 *
 * @module
 */
import { FaceError } from "./errors.ts";
import type { MatchStrategy } from "./match/mod.ts";
import { parseWebhookConfig, type WebhookConfig } from "./webhook/webhook_config.ts";
import { intReader } from "./_env.ts";
import { parseCorsOrigins } from "./_cors_origins.ts";
import { parseEncryption, parseStore } from "./_store_config.ts";

/**
 * How a subject with several faces is scored when `FACEGATE_MATCH_STRATEGY` is unset. The one
 * place this default lives.
 */
export const DEFAULT_MATCH_STRATEGY: MatchStrategy = "nearest";

/** Where enrolled faces are kept. `token` is a secret: never log it. */
export type StoreConfig =
  | { kind: "kv"; path: string }
  | { kind: "memory" }
  | { kind: "upstash"; url: string; token: string; prefix?: string };

/**
 * Encryption at rest of the KV and Upstash stores. `masterKeys` are secrets: never log them.
 * With a `keyFile` the entry file reads the keys from it (Deno only) before building the stores.
 */
export type EncryptionConfig =
  | { mode: "off" }
  | { mode: "on"; masterKeys: Uint8Array[]; keyFile: string | undefined };

/** The parsed configuration. */
export interface Config {
  /** TCP port; 0 lets the OS choose. Default: 8000. */
  port: number;
  /** Interface to listen on. Default: `"127.0.0.1"`. */
  host: string;
  /** Store selection. Default: Deno KV at `./data/facegate.kv` (Upstash when its env is set). */
  store: StoreConfig;
  /** Largest request body in bytes (also the largest image). Default: 20 MiB. */
  maxBodyBytes: number;
  /** Longest wait for the next chunk of a request body, in ms (408 beyond). Default: 10 000. */
  bodyIdleTimeoutMs: number;
  /** Longest time to receive a whole request body, in ms (408 beyond). Default: 30 000. */
  bodyTimeoutMs: number;
  /** Most bytes of request bodies held at once by the process (503 beyond). Default: 64 MiB. */
  maxInflightBodyBytes: number;
  /** Pipeline requests run at once; 0 means the number of cores. Default: 0. */
  maxConcurrent: number;
  /** Pipeline requests waiting for a slot (503 `overloaded` beyond). Default: 32. */
  maxQueued: number;
  /** Largest decoded image in pixels. Default: undefined (the decoder's own limit). */
  maxPixels: number | undefined;
  /**
   * Memory budget of one image decode in bytes (`DecodeImageOptions.maxDecodedBytes`).
   * Default: undefined (the decoder's `DEFAULT_MAX_DECODED_BYTES`).
   */
  maxDecodedBytes: number | undefined;
  /** onnxruntime WebAssembly threads. Default: 1. */
  ortThreads: number;
  /** Multi-face subject scoring. Default: {@linkcode DEFAULT_MATCH_STRATEGY}. */
  matchStrategy: MatchStrategy;
  /**
   * API authentication: `"keys"` requires `Authorization: Bearer <key>`; `"off"` (development
   * only) lets every request in. Default: `"keys"`.
   */
  auth: "off" | "keys";
  /** Requests per minute per API key (per client address with auth off); 0 disables. Default: 120. */
  rateLimit: number;
  /** Server secret mixed into key hashes (HMAC-SHA-256); never log it. Default: undefined. */
  keyPepper: string | undefined;
  /** How long audit events are kept, in days. Default: 90. */
  auditTtlDays: number;
  /**
   * Least minutes between two background purges of one collection per isolate, started by match
   * requests; 0 disables them (the scheduled purge still runs). Default: 10.
   */
  purgeIntervalMinutes: number;
  /** The upload-service webhook (`FACEGATE_WEBHOOK_*`). Default: disabled (no secret). */
  webhook: WebhookConfig;
  /**
   * Browser origins allowed by CORS: `["*"]` for any, else exact origins
   * (`FACEGATE_CORS_ORIGINS`). Default: `[]` (none).
   */
  corsOrigins: string[];
  /**
   * Envelope encryption of stored templates. Default: on, keys from `FACEGATE_MASTER_KEY`, else
   * (Deno KV) from `master.key` beside the KV file.
   */
  encryption: EncryptionConfig;
}

const MIB = 1024 * 1024;
const STRATEGIES: readonly MatchStrategy[] = ["nearest", "mean", "top2"];

/**
 * Parses and validates the configuration, reporting every bad variable at once.
 *
 * @param env Variable name to value (e.g. `Deno.env.toObject()`); empty strings count as unset.
 * @returns The configuration with defaults applied.
 * @throws {FaceError} `invalid_request` listing every problem in the message and in
 *   `details.problems` (values of secret variables are never echoed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig({ PORT: "9000", FACEGATE_STORE: "memory" });
 * assert.equal(config.port, 9000);
 * assert.deepEqual(config.store, { kind: "memory" });
 * assert.throws(() => parseConfig({ PORT: "x", FACEGATE_ORT_THREADS: "0" }), /PORT.*FACEGATE_ORT_THREADS/s);
 * ```
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const int = intReader(get, problems);

  const port = int("PORT", 8000, 0, 65535);
  const host = get("HOST") ?? "127.0.0.1";
  const maxBodyBytes = int("FACEGATE_MAX_BODY_BYTES", 20 * MIB, 1, 2 ** 31 - 1);
  const maxPixels = get("FACEGATE_MAX_PIXELS") === undefined
    ? undefined
    : int("FACEGATE_MAX_PIXELS", 0, 1, 1_000_000_000);
  const maxDecodedBytes = get("FACEGATE_MAX_DECODED_BYTES") === undefined
    ? undefined
    : int("FACEGATE_MAX_DECODED_BYTES", 0, 1, 2 ** 32);
  const ortThreads = int("FACEGATE_ORT_THREADS", 1, 1, 64);
  const bodyIdleTimeoutMs = int("FACEGATE_BODY_IDLE_TIMEOUT_MS", 10_000, 1, 3_600_000);
  const bodyTimeoutMs = int("FACEGATE_BODY_TIMEOUT_MS", 30_000, 1, 3_600_000);
  const maxInflightBodyBytes = int("FACEGATE_MAX_INFLIGHT_BODY_BYTES", 64 * MIB, 1, 2 ** 40);
  if (maxInflightBodyBytes < maxBodyBytes) {
    problems.push(
      `FACEGATE_MAX_INFLIGHT_BODY_BYTES (${maxInflightBodyBytes}) must be at least ` +
        `FACEGATE_MAX_BODY_BYTES (${maxBodyBytes})`,
    );
  }
  const maxConcurrent = int("FACEGATE_MAX_CONCURRENT", 0, 0, 1024);
  const maxQueued = int("FACEGATE_MAX_QUEUED", 32, 0, 100_000);

  const strategyRaw = get("FACEGATE_MATCH_STRATEGY") ?? DEFAULT_MATCH_STRATEGY;
  const matchStrategy = STRATEGIES.find((s) => s === strategyRaw) ?? DEFAULT_MATCH_STRATEGY;
  if (matchStrategy !== strategyRaw) {
    problems.push(
      `FACEGATE_MATCH_STRATEGY must be one of ${STRATEGIES.join(", ")}, got ${
        JSON.stringify(strategyRaw)
      }`,
    );
  }

  const authRaw = get("FACEGATE_AUTH") ?? "keys";
  const auth = authRaw === "off" ? "off" : "keys";
  if (authRaw !== "off" && authRaw !== "keys") {
    problems.push(`FACEGATE_AUTH must be "keys" or "off", got ${JSON.stringify(authRaw)}`);
  }
  // Local development (auth off) is not rate-limited unless asked: a bulk script against
  // `deno task dev` should not meet 429s. With keys (production) the default stays 120.
  const rateLimit = int("FACEGATE_RATE_LIMIT", auth === "off" ? 0 : 120, 0, 1_000_000);
  const auditTtlDays = int("FACEGATE_AUDIT_TTL_DAYS", 90, 1, 3650);
  const purgeIntervalMinutes = int("FACEGATE_PURGE_INTERVAL_MINUTES", 10, 0, 1440);
  const keyPepper = get("FACEGATE_KEY_PEPPER");
  if (keyPepper !== undefined && keyPepper.length < 16) {
    problems.push("FACEGATE_KEY_PEPPER must be at least 16 characters");
  }

  const store = parseStore(get, problems);
  const webhook = parseWebhookConfig(get, problems);
  const corsOrigins = parseCorsOrigins(get("FACEGATE_CORS_ORIGINS"), problems);
  const encryption = parseEncryption(get, store, problems);
  if (problems.length > 0) {
    throw new FaceError(
      "invalid_request",
      `Cannot start: ${problems.length} invalid setting(s): ${problems.join("; ")}`,
      { details: { problems } },
    );
  }
  return {
    port,
    host,
    store,
    maxBodyBytes,
    maxPixels,
    bodyIdleTimeoutMs,
    bodyTimeoutMs,
    maxInflightBodyBytes,
    maxConcurrent,
    maxQueued,
    maxDecodedBytes,
    ortThreads,
    matchStrategy,
    auth,
    rateLimit,
    keyPepper,
    webhook,
    corsOrigins,
    encryption,
    auditTtlDays,
    purgeIntervalMinutes,
  };
}
