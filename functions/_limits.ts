/**
 * The request bounds middleware: every route's body byte limit (checked from `Content-Length`
 * before a byte is read, enforced while streaming otherwise), the idle and total body timeouts,
 * the process-wide budget of body bytes held at once, and admission control for the pipeline
 * routes (at most N at once, a bounded queue, 503 `overloaded` beyond).
 *
 * | requests                                   | body limit                  | pipeline gate |
 * | ------------------------------------------ | --------------------------- | ------------- |
 * | `POST /v1/webhooks/upload`                 | 64 KiB                      | yes           |
 * | image routes (detect, preview, embed, compare, enroll, verify, identify) | `FACEGATE_MAX_BODY_BYTES` | yes |
 * | everything else                            | 64 KiB                      | no            |
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Config } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import { ByteBudget, ConcurrencyGate, readBoundedBody } from "../lib/limits/mod.ts";
import type { AppEnv } from "./_context.ts";

/** Body limit of the webhook and of every route that takes no image. */
export const SMALL_BODY_BYTES = 64 * 1024;

const IMAGE_ROUTE_RE =
  /^\/v1\/(?:detect|preview|embed|compare|liveness|collections\/[^/]+\/(?:identify|subjects\/[^/]+\/(?:faces|verify)))\/?$/;
const WEBHOOK_PATH = "/v1/webhooks/upload";

/** How one request is bounded. */
export interface RouteBounds {
  /** Largest body in bytes. */
  maxBodyBytes: number;
  /** Whether the request runs the face pipeline (and so passes the concurrency gate). */
  pipeline: boolean;
}

/**
 * The bounds of a request.
 *
 * @param method HTTP method.
 * @param path URL path.
 * @param config `maxBodyBytes` for image routes.
 */
export function routeBounds(
  method: string,
  path: string,
  config: Pick<Config, "maxBodyBytes">,
): RouteBounds {
  if (method === "POST" && path === WEBHOOK_PATH) {
    return { maxBodyBytes: SMALL_BODY_BYTES, pipeline: true };
  }
  if (method === "POST" && IMAGE_ROUTE_RE.test(path)) {
    return { maxBodyBytes: config.maxBodyBytes, pipeline: true };
  }
  return { maxBodyBytes: SMALL_BODY_BYTES, pipeline: false };
}

/** The gate and budget of one app (one per isolate). */
export interface Limits {
  /** Admission control of the pipeline routes. */
  gate: ConcurrencyGate;
  /** Bytes of request bodies held at once. */
  bodies: ByteBudget;
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
  };
}

/**
 * The middleware: reads the body within its bounds (replacing the request with the buffered
 * one), then, for pipeline routes, waits for a slot of the gate.
 *
 * @throws {FaceError} `payload_too_large` (413), `request_timeout` (408), `overloaded` (503),
 *   `client_closed_request` (499), through the app's error handler.
 */
export function limitsMiddleware(config: Config, limits: Limits): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const bounds = routeBounds(c.req.method, c.req.path, config);
    const raw = c.req.raw;
    let release = () => {};
    try {
      if (raw.body !== null) {
        const declared = declaredLength(raw.headers);
        const body = await readBoundedBody(raw.body, {
          maxBytes: bounds.maxBodyBytes,
          declaredLength: declared,
          idleTimeoutMs: config.bodyIdleTimeoutMs,
          totalTimeoutMs: config.bodyTimeoutMs,
          budget: limits.bodies,
          what: c.req.path === WEBHOOK_PATH ? "the webhook body" : "the request body",
        });
        release = body.release;
        c.req.raw = new Request(raw, { body: body.bytes as Uint8Array<ArrayBuffer> });
      }
      if (!bounds.pipeline) return await next();
      const leave = await limits.gate.acquire();
      try {
        // A client that left while its request waited for a slot costs no pipeline run.
        if (raw.signal.aborted) {
          throw new FaceError(
            "client_closed_request",
            "Cannot run the request: the client closed the connection",
          );
        }
        await next();
      } finally {
        leave();
      }
    } finally {
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
