/**
 * Types shared by the app and its sub-apps: the injected dependencies, the Hono environment and
 * the resolved services every route handler reads.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import type { PipelineDeps } from "../lib/pipeline/mod.ts";
import type {
  AuditStore,
  FaceStore,
  IdempotencyStore,
  LivenessSessionStore,
  PolicyStore,
} from "../lib/store/mod.ts";
import type { KeyStore, Role } from "../lib/auth/mod.ts";
import type { RateLimiter } from "../lib/ratelimit/mod.ts";
import type { Backend } from "../lib/backend/mod.ts";
import type { ModelManifest } from "../models/manifest.ts";
import type { UseCaseDeps } from "../lib/usecases/mod.ts";
import type { ApiRegistry } from "./_openapi.ts";
import type { Limits } from "./_limits.ts";

/** Structured log sink: one JSON object per event. Never pass bodies, embeddings or keys. */
export interface Logger {
  /** Routine events (one per request). */
  info(fields: Record<string, unknown>): void;
  /** Failures; `fields.error` may carry a stack. */
  error(fields: Record<string, unknown>): void;
}

/** What {@linkcode createApp} needs; the entry files build it once per isolate. */
export interface AppDeps {
  /** Model sessions for the face pipeline. */
  pipeline: PipelineDeps;
  /** Where enrolled faces live. */
  store: FaceStore;
  /** Parsed configuration. */
  config: Config;
  /** Model manifest (ids, thresholds). Default: `pipeline.manifest`, else the committed one. */
  manifest?: ModelManifest;
  /** Log sink. Default: JSON lines on stdout (info) and stderr (error). */
  logger?: Logger;
  /**
   * A request answered without reading its body (401/403/429…) has its body read to the end
   * when it is at most this many bytes, else cancelled. The Workers entry sets 1 MiB: wrangler's
   * dev proxy broke the next request after a worker answered without reading a body. Default: 0
   * (always cancelled: a refused request costs no body read).
   */
  drainUnreadBodyBytes?: number;
  /** Millisecond clock for request durations. Default: `performance.now`. */
  now?: () => number;
  /**
   * The clock of retention and subject expiry (which faces may still match, what a purge
   * deletes). Default: `() => new Date()`.
   */
  clock?: () => Date;
  /** API keys, beside the faces. Required when `config.auth` is `"keys"`. */
  keys?: KeyStore;
  /**
   * Per-key rate limiter. Default: in memory, `config.rateLimit` per minute (none when 0).
   */
  limiter?: RateLimiter;
  /**
   * Idempotency records of the upload webhook, beside the faces. Required when webhooks are on
   * (`FACEGATE_WEBHOOK_SECRET`) with a store other than memory; default: in memory, per app.
   */
  idempotency?: IdempotencyStore;
  /** Body budget and pipeline gate, per isolate. Default: built from `config`. */
  limits?: Limits;
  /** Each collection's match policy, beside the faces. Default: in memory, per app. */
  policies?: PolicyStore;
  /** Each collection's audit trail, beside the faces. Default: in memory, per app. */
  audits?: AuditStore;
  /** Liveness challenge sessions, beside the faces. Default: in memory, per app. */
  livenessSessions?: LivenessSessionStore;
  /**
   * The HMAC key of liveness tokens (`livenessTokenKey`). Default: a random key per app (tokens
   * valid only in this process).
   */
  livenessTokenKey?: CryptoKey | Promise<CryptoKey>;
  /** Draws a challenge session's moves. Default: a random turn and a blink, in random order. */
  livenessChallenge?: UseCaseDeps["livenessChallenge"];
  /** The backend the stores above were opened on, when `buildAppDeps` opened them. */
  backend?: Backend;
}

/** Variables set by the app's middleware. */
export interface AppVariables {
  /** The request id (from `X-Request-Id` when valid, else generated). */
  requestId: string;
  /** The id of the authenticated API key (not secret), when auth is on. */
  keyId?: string;
  /**
   * Set on the upload webhook by the limits middleware: gives back the unverified delivery's
   * slot once its signature is verified.
   */
  webhookVerified?: () => void;
  /** The role of the authenticated API key, when auth is on. */
  role?: Role;
  /** The collections the authenticated API key may use (`"*"`: all), when auth is on. */
  scope?: "*" | string[];
  /** With an `Idempotency-Key`: the id the write uses (an enroll's face id). */
  writeId?: string;
}

/** The Hono environment of every facegate (sub-)app. */
export type AppEnv = { Variables: AppVariables };

/**
 * Dependencies with defaults applied, handed to each sub-app factory: the use cases' deps plus
 * what only the HTTP layer needs.
 */
export interface Services extends UseCaseDeps {
  /** Parsed configuration. */
  config: Config;
  /** The model manifest in force. */
  manifest: ModelManifest;
  /** Log sink. */
  logger: Logger;
  /** Collects the operations that `/openapi.json` documents. */
  api: ApiRegistry;
  /**
   * Idempotency records: `Idempotency-Key` on writes and the webhook's deliveries (one store, so
   * the deletes erase both).
   */
  idempotency: IdempotencyStore;
}

/** JSON-lines logger on the console. */
export const consoleLogger: Logger = {
  info: (fields) => console.log(JSON.stringify({ level: "info", ...fields })),
  error: (fields) => console.error(JSON.stringify({ level: "error", ...fields })),
};
