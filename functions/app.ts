/**
 * `createApp(deps)`: the facegate HTTP API as a Hono app, independent of the runtime. The entry
 * files (`main.ts`, and later Workers) build the dependencies once and serve `app.fetch`.
 *
 * Cross-cutting behaviour: a request id (`X-Request-Id`, echoed or generated), one log line per
 * request (method, path, status, ms, request id: never bodies, embeddings or keys), CORS, and every
 * error as an RFC 9457 problem. Each route carries its own guards, attached where it is declared
 * (`_openapi.ts`): API keys, roles and rate limits before any body is read (401/403/429, see
 * `_auth.ts`), then the request bounds (body limits and timeouts, the pipeline gate: see
 * `_limits.ts`).
 *
 * @module
 */
import { type Handler, Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { type AppDeps, type AppEnv, consoleLogger, type Services } from "./_context.ts";
import { ApiRegistry, type RouteSpec } from "./_openapi.ts";
import { useCaseDeps } from "../app/mod.ts";
import { MemoryIdempotencyStore } from "../lib/store/mod.ts";
import { problemResponse } from "./problem.ts";
import { authGuard } from "./_auth.ts";
import { corsMiddleware } from "./_cors.ts";
import { createLimits, limitsGuard } from "./_limits.ts";
import { requestId } from "hono/request-id";
import { methodNotAllowed } from "hono/method-not-allowed";
import { redactForLog } from "./_log_safety.ts";
import { detectRoutes } from "./detect.ts";
import { previewRoutes } from "./preview.ts";
import { embedRoutes } from "./embed.ts";
import { compareRoutes } from "./compare.ts";
import { enrollRoutes } from "./enroll.ts";
import { subjectRoutes } from "./subjects.ts";
import { collectionRoutes } from "./collections.ts";
import { policyRoutes } from "./policy.ts";
import { verifyRoutes } from "./verify.ts";
import { livenessRoutes } from "./liveness.ts";
import { livenessSessionRoutes } from "./liveness_sessions.ts";
import { identifyRoutes } from "./identify.ts";
import { metaRoutes } from "./meta.ts";
import { webhookRoutes } from "./webhooks.ts";
import { webRoutes } from "./web.ts";

export type { AppDeps, Logger } from "./_context.ts";

const DECLARED = new WeakMap<Hono<AppEnv>, ApiRegistry>();

/**
 * The routes an app declares, in order: method, path, access, body limit class and, when
 * documented, the OpenAPI operation (the one list of routes).
 *
 * @param app An app made by {@linkcode createApp}.
 */
export function declaredRoutes(app: Hono<AppEnv>): readonly RouteSpec[] {
  return DECLARED.get(app)?.routes ?? [];
}

/** Errors after which the connection is closed (the body may be partly unread). */
const CLOSE_AFTER = new Set(["payload_too_large", "request_timeout", "client_closed_request"]);

const REQUEST_ID_RE = /^[\w.:=-]{1,128}$/;

/**
 * Builds the app.
 *
 * @param deps See {@linkcode AppDeps}.
 * @returns The Hono app; serve `app.fetch` or drive it with `app.request(...)` in tests.
 *
 * @example
 * ```ts ignore
 * import { createApp } from "./app.ts";
 * const app = createApp({ pipeline: { sessions }, store: new MemoryFaceStore(), config });
 * const res = await app.request("/healthz");
 * ```
 */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const logger = deps.logger ?? consoleLogger;
  const now = deps.now ?? (() => performance.now());
  const drainBytes = deps.drainUnreadBodyBytes ?? 0;
  // One idempotency store for the write routes, the webhook and the deletes that erase them.
  const idempotency = deps.idempotency ?? new MemoryIdempotencyStore();
  const uc = useCaseDeps({ ...deps, idempotency });
  const limits = deps.limits ?? createLimits(deps.config);
  // Every route runs its declared guards first: API keys, roles and rate limits before any body
  // is read (401/403/429, see `_auth.ts`), then its body limit and timeouts and the pipeline's
  // admission control (see `_limits.ts`).
  const authorize = authGuard(deps.config, deps);
  const limitBody = limitsGuard(deps.config, limits);
  const s: Services = {
    ...uc,
    config: deps.config,
    manifest: uc.pipeline.manifest,
    logger,
    api: new ApiRegistry((spec) => [...authorize(spec.access), limitBody(spec.limit ?? "small")]),
    idempotency,
  };

  const app = new Hono<AppEnv>();
  DECLARED.set(app, s.api);
  // Hono's request id, with our own check of a given one (it also accepts `.` and `:`, as trace
  // ids carry); the header is set below, after the log line's fields are known.
  app.use(requestId({
    headerName: "",
    generator: (c) => {
      const given = c.req.header("x-request-id");
      return given && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
    },
  }));
  app.use(async (c, next) => {
    const start = now();
    const requestId = c.get("requestId");
    const raw = c.req.raw;
    await next();
    // A body nobody read (a 401/403/429, a 404, a 413 from its declared length) is settled: read
    // to its end when small enough (`drainUnreadBodyBytes`, the Workers entry: wrangler's dev
    // proxy broke the next request, "Your worker restarted mid-request", after a worker answered
    // without reading the body), else cancelled, so no half-read request is left behind.
    if (raw.body !== null && !raw.bodyUsed) await settleBody(raw.body, drainBytes);
    c.res.headers.set("x-request-id", requestId);
    logger.info({
      msg: "request",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((now() - start) * 10) / 10,
      request_id: requestId,
      ...(c.get("keyId") === undefined ? {} : { key_id: c.get("keyId") }),
    });
  });
  app.use(corsMiddleware(deps.config.corsOrigins)); // preflights answered before auth
  // A known path with another method: 405 with the methods it has (after the fallback's 404).
  app.use(methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) => {
      const allow = methods.join(", ");
      return problemResponse(
        new FaceError(
          "method_not_allowed",
          `Cannot ${c.req.method} ${c.req.path}: it allows ${allow}`,
          { details: { allow } },
        ),
        c.get("requestId"),
        { instance: c.req.path, headers: { allow } },
      );
    },
  }));

  for (
    const routes of [
      detectRoutes,
      previewRoutes,
      embedRoutes,
      compareRoutes,
      enrollRoutes,
      subjectRoutes,
      collectionRoutes,
      policyRoutes,
      verifyRoutes,
      identifyRoutes,
      livenessRoutes,
      livenessSessionRoutes,
      metaRoutes,
      webRoutes,
    ]
  ) app.route("/", routes(s));
  app.route("/", webhookRoutes(s, { idempotency: deps.idempotency, gate: limits.gate }));

  // What no route declares is admin-only (deny by default: 401/403 before 404), with the small
  // body limit.
  const notFound: Handler<AppEnv> = (c) =>
    problemResponse(
      new FaceError("not_found", `Cannot ${c.req.method} ${c.req.path}: no such route`),
      c.get("requestId"),
      { instance: c.req.path },
    );
  const fallback = s.api.guards({ method: "get", path: "*", access: "admin" });
  app.all("*", ...([...fallback, notFound] as [Handler<AppEnv>]));
  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? crypto.randomUUID();
    const headers: Record<string, string> = {};
    const code = err instanceof FaceError ? err.code : "internal_error";
    const retryAfter = err instanceof FaceError ? err.details?.retry_after : undefined;
    if (typeof retryAfter === "number") headers["retry-after"] = String(retryAfter);
    // The rest of an unread (too large, stalled or abandoned) body must not be read as the next
    // request on this connection: close it.
    if (CLOSE_AFTER.has(code)) headers["connection"] = "close";
    const res = problemResponse(err, requestId, { instance: c.req.path, headers });
    if (res.status >= 500 && code !== "overloaded") {
      logger.error({
        msg: "request failed",
        request_id: requestId,
        method: c.req.method,
        path: c.req.path,
        status: res.status,
        code,
        error: redactForLog(err instanceof Error ? (err.stack ?? err.message) : String(err)),
        cause: err instanceof Error && err.cause instanceof Error
          ? redactForLog(err.cause.message)
          : undefined,
      });
    }
    return res;
  });
  return app;
}

/**
 * Reads an unread request body to its end when it holds at most `maxBytes`, else cancels it
 * (reading stops at `maxBytes`). Never throws.
 */
async function settleBody(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<void> {
  const reader = body.getReader();
  try {
    let read = 0;
    while (read <= maxBytes) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away: nothing left to settle.
  } finally {
    reader.releaseLock();
  }
}
