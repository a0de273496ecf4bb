/**
 * The request bounds middleware: every route's body byte limit (checked from `Content-Length`
 * before a byte is read, enforced while streaming otherwise), the idle and total body timeouts,
 * the process-wide budget of body bytes held at once, and admission control for the pipeline
 * routes (at most N at once, a bounded queue, 503 `overloaded` beyond).
 *
 * Each route declares its class (`limit` of its `RouteSpec` in `_openapi.ts`); no path is matched
 * here.
 *
 * | class (routes)                             | body limit                  | pipeline gate |
 * | ------------------------------------------ | --------------------------- | ------------- |
 * | `webhook` (`POST /v1/webhooks/upload`)     | 64 KiB, own budget          | once signed   |
 * | `image` (detect, preview, embed, compare, liveness, enroll, verify, identify) | `FACEGATE_MAX_BODY_BYTES` | yes |
 * | `frames` (`POST /v1/liveness/sessions/{id}/frames`) | 8 MiB (at most `FACEGATE_MAX_BODY_BYTES`) | yes |
 * | `small` (everything else)                  | 64 KiB                      | no            |
 *
 * The webhook costs nothing shared until its signature is verified: its headers are checked
 * before its body is read (at most 8 signatures, 1 KiB), unverified deliveries have their own
 * small budget (at most {@linkcode WEBHOOK_UNVERIFIED_LIMIT} at once and
 * {@linkcode WEBHOOK_UNVERIFIED_QUEUE} waiting, their bodies in a budget of their own) and answer
 * 503 `overloaded` beyond it — keyed traffic never sees it — and a delivery
 * takes a pipeline slot only once verified (in the route, `webhooks.ts`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Config } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import { ByteBudget, ConcurrencyGate, readBoundedBody } from "../lib/limits/mod.ts";
import { checkWebhookHeaders } from "../lib/webhook/mod.ts";
import type { AppEnv } from "./_context.ts";
import type { BodyLimit } from "./_openapi.ts";

/** Body limit of the webhook and of every route that takes no image. */
export const SMALL_BODY_BYTES = 64 * 1024;

/** Unverified webhook deliveries handled at once (bodies read, signatures checked). */
export const WEBHOOK_UNVERIFIED_LIMIT = 16;
/** Unverified webhook deliveries waiting for one of those; more answer 503 (only to them). */
export const WEBHOOK_UNVERIFIED_QUEUE = 64;

/** Body limit of a liveness challenge's burst of frames (all frames together). */
export const BURST_BODY_BYTES = 8 * 1024 * 1024;

/** How one request is bounded. */
export interface RouteBounds {
  /** Largest body in bytes. */
  maxBodyBytes: number;
  /** Whether the request runs the face pipeline (and so passes the concurrency gate). */
  pipeline: boolean;
  /**
   * The upload webhook: its own budget until verified; it takes the pipeline gate in its route,
   * after the signature. Default: false.
   */
  webhook?: boolean;
}

/**
 * The bounds of a route's body limit class.
 *
 * @param limit The class declared on the route (`limit` of its `RouteSpec`).
 * @param config `maxBodyBytes` for image routes.
 */
export function routeBounds(
  limit: BodyLimit,
  config: Pick<Config, "maxBodyBytes">,
): RouteBounds {
  switch (limit) {
    case "webhook":
      return { maxBodyBytes: SMALL_BODY_BYTES, pipeline: false, webhook: true };
    case "frames":
      return { maxBodyBytes: Math.min(config.maxBodyBytes, BURST_BODY_BYTES), pipeline: true };
    case "image":
      return { maxBodyBytes: config.maxBodyBytes, pipeline: true };
    case "small":
      return { maxBodyBytes: SMALL_BODY_BYTES, pipeline: false };
  }
}

/** The gate and budget of one app (one per isolate). */
export interface Limits {
  /** Admission control of the pipeline routes. */
  gate: ConcurrencyGate;
  /** Bytes of request bodies held at once. */
  bodies: ByteBudget;
  /** Unverified webhook deliveries at once, and waiting. */
  webhookUnverified: ConcurrencyGate;
  /** Bytes of unverified webhook bodies held at once (their own, not `bodies`). */
  webhookBodies: ByteBudget;
}

/** Builds the per-app {@linkcode Limits} from the configuration. */
export function createLimits(
  config: Pick<Config, "maxConcurrent" | "maxQueued" | "maxInflightBodyBytes">,
): Limits {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return {
    gate: new ConcurrencyGate({
      limit: config.maxConcurrent > 0 ? config.maxConcurrent : Math.max(1, cores),
      queue: config.maxQueued,
    }),
    bodies: new ByteBudget(config.maxInflightBodyBytes),
    webhookUnverified: new ConcurrencyGate({
      limit: WEBHOOK_UNVERIFIED_LIMIT,
      queue: WEBHOOK_UNVERIFIED_QUEUE,
    }),
    webhookBodies: new ByteBudget(WEBHOOK_UNVERIFIED_LIMIT * SMALL_BODY_BYTES),
  };
}

/**
 * Runs `fn` in a slot of the pipeline gate (waiting in its queue); a client that left while its
 * request waited costs no pipeline run.
 *
 * @throws {FaceError} `overloaded` when the queue is full; `client_closed_request`.
 */
export async function inPipelineSlot<T>(
  gate: ConcurrencyGate,
  signal: AbortSignal,
  fn: () => Promise<T>,
): Promise<T> {
  const leave = await gate.acquire();
  try {
    if (signal.aborted) {
      throw new FaceError(
        "client_closed_request",
        "Cannot run the request: the client closed the connection",
      );
    }
    return await fn();
  } finally {
    leave();
  }
}

/**
 * Builds the limits guard: for each route's body limit class, the middleware that reads the body
 * within its bounds (replacing the request with the buffered one), then, for pipeline routes,
 * waits for a slot of the gate.
 *
 * Hand-written rather than `hono/body-limit`: that one only counts bytes, while these bounds also
 * time the body out (idle and total), hold every body in a process-wide byte budget, give the
 * webhook its own budget and gate its headers before the body is read.
 *
 * @returns `(limit) => middleware`, one middleware per class.
 * @throws {FaceError} `payload_too_large` (413), `request_timeout` (408), `overloaded` (503),
 *   `client_closed_request` (499), through the app's error handler.
 */
export function limitsGuard(
  config: Config,
  limits: Limits,
): (limit: BodyLimit) => MiddlewareHandler<AppEnv> {
  const guards = new Map<BodyLimit, MiddlewareHandler<AppEnv>>();
  return (limit) => {
    let guard = guards.get(limit);
    if (!guard) guards.set(limit, guard = boundBody(config, limits, routeBounds(limit, config)));
    return guard;
  };
}

function boundBody(
  config: Config,
  limits: Limits,
  bounds: RouteBounds,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    let release = () => {};
    let leaveUnverified = () => {};
    try {
      if (bounds.webhook && config.webhook.secrets.length > 0) {
        // Headers first: an unsigned or signature-bomb delivery is refused before its body is
        // read (the timestamp is checked in the route, on its clock).
        try {
          checkWebhookHeaders(raw.headers, { toleranceSeconds: Infinity });
          leaveUnverified = await limits.webhookUnverified.acquire();
        } catch (err) {
          await raw.body?.cancel().catch(() => {});
          throw err;
        }
        c.set("webhookVerified", leaveUnverified);
      }
      if (raw.body !== null) {
        const declared = declaredLength(raw.headers);
        const body = await readBoundedBody(raw.body, {
          maxBytes: bounds.maxBodyBytes,
          declaredLength: declared,
          idleTimeoutMs: config.bodyIdleTimeoutMs,
          totalTimeoutMs: config.bodyTimeoutMs,
          budget: bounds.webhook ? limits.webhookBodies : limits.bodies,
          what: bounds.webhook ? "the webhook body" : "the request body",
        });
        release = body.release;
        c.req.raw = new Request(raw, { body: body.bytes as Uint8Array<ArrayBuffer> });
      }
      if (!bounds.pipeline) return await next();
      await inPipelineSlot(limits.gate, raw.signal, () => next());
    } finally {
      leaveUnverified();
      release();
    }
  };
}

function declaredLength(headers: Headers): number | undefined {
  if (headers.has("transfer-encoding")) return undefined;
  const value = headers.get("content-length");
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
