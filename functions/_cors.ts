/**
 * CORS for browser apps on other origins (`FACEGATE_CORS_ORIGINS`, see `lib/config.ts`).
 *
 * - A preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered here, before auth
 *   and routing: 204, with the allowed methods and request headers when the origin is allowed,
 *   without any `Access-Control-*` header otherwise (the browser then blocks the request).
 *   Preflights never need an API key: browsers send them without `Authorization`.
 * - Every other response to an allowed origin carries `Access-Control-Allow-Origin` (`*` when
 *   any origin is allowed, else the origin itself with `Vary: Origin`) and exposes
 *   {@linkcode CORS_EXPOSE_HEADERS}. Credentials (cookies) are never allowed: the API takes a
 *   Bearer key.
 *
 * Hand-written rather than `hono/cors`: that one answers every `OPTIONS` as a preflight and sets
 * `Access-Control-Allow-Methods`, `-Max-Age` and `-Expose-Headers` whatever the origin, where a
 * disallowed origin here gets no `Access-Control-*` header at all (tested in `cors_test.ts`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./_context.ts";

/** Methods the API uses. */
export const CORS_ALLOW_METHODS: readonly string[] = ["GET", "HEAD", "POST", "PUT", "DELETE"];
/** Request headers the API reads. */
export const CORS_ALLOW_HEADERS: readonly string[] = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "X-Request-Id",
];
/** Response headers a browser app may read beside the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS: readonly string[] = [
  "X-Request-Id",
  "Retry-After",
  "WWW-Authenticate",
  "Allow",
];
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * Builds the middleware. Mount it before auth.
 *
 * @param origins `["*"]` for any origin, else exact origins (`https://app.example`); `[]` allows
 *   none (preflights are still answered 204, without permission).
 * @returns The middleware.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { corsMiddleware } from "./_cors.ts";
 * const app = new Hono().use(corsMiddleware(["https://app.example"])).get("/x", (c) => c.text("x"));
 * const res = await app.request("/x", { headers: { origin: "https://app.example" } });
 * assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
 * ```
 */
export function corsMiddleware(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const any = origins.includes("*");
  const allowed = (origin: string | undefined): origin is string =>
    origin !== undefined && (any || origins.includes(origin));
  return async (c, next) => {
    const origin = c.req.header("origin");
    const ok = allowed(origin);
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      const headers = new Headers();
      if (ok) {
        headers.set("access-control-allow-origin", any ? "*" : origin);
        headers.set("access-control-allow-methods", CORS_ALLOW_METHODS.join(", "));
        headers.set("access-control-allow-headers", CORS_ALLOW_HEADERS.join(", "));
        headers.set("access-control-max-age", `${CORS_MAX_AGE_SECONDS}`);
      }
      if (!any) headers.set("vary", "Origin");
      return c.body(null, 204, Object.fromEntries(headers));
    }
    await next();
    if (ok) {
      c.res.headers.set("access-control-allow-origin", any ? "*" : origin);
      c.res.headers.set("access-control-expose-headers", CORS_EXPOSE_HEADERS.join(", "));
    }
    if (!any && origins.length > 0) c.res.headers.append("vary", "Origin");
    return undefined;
  };
}
