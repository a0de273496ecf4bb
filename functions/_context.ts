/**
 * Types shared by the app and its sub-apps: the injected dependencies, the Hono environment and
 * the resolved services every route handler reads.
 *
 * @module
 */
import type { ComposedDeps, Logger } from "../app/composed_deps.ts";
export { type ComposedDeps, consoleLogger, type Logger } from "../app/composed_deps.ts";
import type { Config } from "../lib/config.ts";
import type { IdempotencyStore } from "../lib/store/mod.ts";
import type { Role } from "../lib/auth/mod.ts";
import type { ModelManifest } from "../models/manifest.ts";
import type { UseCaseDeps } from "../lib/usecases/mod.ts";
import type { ApiRegistry } from "./_openapi.ts";
import type { Limits } from "./_limits.ts";

/** What {@linkcode createApp} needs: the composed dependencies plus the HTTP layer's options. */
export interface AppDeps extends ComposedDeps {
  /**
   * A request answered without reading its body (401/403/429…) has its body read to the end
   * when it is at most this many bytes, else cancelled. The Workers entry sets 1 MiB: wrangler's
   * dev proxy broke the next request after a worker answered without reading a body. Default: 0
   * (always cancelled: a refused request costs no body read).
   */
  drainUnreadBodyBytes?: number;
  /** Millisecond clock for request durations. Default: `performance.now`. */
  now?: () => number;
  /** Body budget and pipeline gate, per isolate. Default: built from `config`. */
  limits?: Limits;
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
