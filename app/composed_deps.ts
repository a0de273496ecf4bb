/**
 * What the composition root builds from a configuration ({@linkcode ComposedDeps}), and the log
 * sink every layer writes to. The HTTP app (`functions/`) adds its own options on top; the CLIs use
 * these as they are.
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
import type { KeyStore } from "../lib/auth/mod.ts";
import type { RateLimiter } from "../lib/ratelimit/mod.ts";
import type { Backend } from "../lib/backend/mod.ts";
import type { ModelManifest } from "../models/manifest.ts";
import type { UseCaseDeps } from "../lib/usecases/mod.ts";

/** Structured log sink: one JSON object per event. Never pass bodies, embeddings or keys. */
export interface Logger {
  /** Routine events (one per request). */
  info(fields: Record<string, unknown>): void;
  /** Failures; `fields.error` may carry a stack. */
  error(fields: Record<string, unknown>): void;
}

/** The dependencies built once per process or isolate from a configuration. */
export interface ComposedDeps {
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
  /** The backend the stores above were opened on, when `composeDeps` opened them. */
  backend?: Backend;
}

/** JSON-lines logger on the console. */
export const consoleLogger: Logger = {
  info: (fields) => console.log(JSON.stringify({ level: "info", ...fields })),
  error: (fields) => console.error(JSON.stringify({ level: "error", ...fields })),
};
