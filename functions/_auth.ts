/**
 * Authentication, authorization and rate limiting of API requests, as one Hono middleware that
 * runs before any body is read (so 401/403/429 cost no image work).
 *
 * Each route declares its access where it is declared (`access` in `_openapi.ts`'s `RouteSpec`):
 * the guard is attached to that route, so no path is matched here.
 *
 * - Routes declared `{ public: why }` pass untouched.
 * - Every other route needs `Authorization: Bearer <key>` when `FACEGATE_AUTH=keys` (the
 *   default): a missing, malformed, unknown or revoked key is 401 `unauthorized` with
 *   `WWW-Authenticate: Bearer`.
 * - Then the key's rate limit (`FACEGATE_RATE_LIMIT` per minute): 429 `rate_limited` with
 *   `Retry-After`. Refused requests do not count.
 * - Then the role and collection scope of the route's action (see `lib/auth/roles.ts`): 403
 *   `forbidden`. A request that matches no declared route gets the `admin` guard (deny by
 *   default, in `app.ts`'s fallback), so it is 401/403 before it is 404/405.
 * - With `FACEGATE_AUTH=off` (development only) nothing is authenticated; requests are limited
 *   per client address when the runtime tells it (Deno's `remoteAddr`), and not at all otherwise.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Config } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import {
  type Action,
  authenticateApiKey,
  authorize,
  type KeyStore,
  MemoryKeyStore,
} from "../lib/auth/mod.ts";
import { MemoryRateLimiter, type RateLimiter } from "../lib/ratelimit/mod.ts";
import type { AppEnv } from "./_context.ts";
import { isPublic, type RouteAccess } from "./_openapi.ts";
import { problemResponse } from "./problem.ts";

/** Auth dependencies of {@linkcode authMiddleware}. */
export interface AuthDeps {
  /** Where API keys live. Required when `config.auth` is `"keys"`. */
  keys?: KeyStore;
  /**
   * Rate limiter. Default: a {@linkcode MemoryRateLimiter} of `config.rateLimit` per minute, or
   * none when it is 0.
   */
  limiter?: RateLimiter;
}

/**
 * The startup warning when auth is off (or keys cannot be made: the memory store), or undefined.
 * Log it with `logger.error`.
 */
export function authStartupWarning(config: Config): Record<string, unknown> | undefined {
  if (config.auth === "keys" && config.store.kind === "memory") {
    return {
      msg: "warning: FACEGATE_AUTH=keys with FACEGATE_STORE=memory: keys made by `deno task " +
        "keys` cannot reach this process, so every protected request will be 401",
    };
  }
  if (config.auth !== "off") return undefined;
  return {
    msg: "!!! WARNING: FACEGATE_AUTH=off: API KEYS ARE NOT CHECKED; anyone who can reach this " +
      "server can enroll, read and delete faces. Use only for local development. !!!",
  };
}

/**
 * Builds the auth guard: for each route's declared access, its middleware (none for a public
 * route).
 *
 * @param config `auth`, `keyPepper`, `rateLimit`.
 * @param deps Key store and rate limiter.
 * @returns `(access) => middlewares`, for `RouteGuards` (`_openapi.ts`).
 * @throws {TypeError} When `config.auth` is `"keys"` and `deps.keys` is missing.
 */
export function authGuard(
  config: Pick<Config, "auth" | "keyPepper" | "rateLimit">,
  deps: AuthDeps,
): (access: RouteAccess) => MiddlewareHandler<AppEnv>[] {
  if (config.auth === "keys" && deps.keys === undefined) {
    throw new TypeError(
      'createApp: config.auth is "keys" but no key store was given (deps.keys); ' +
        "open the backend with openBackend(config.store) from lib/backend/mod.ts",
    );
  }
  const keys = deps.keys ?? new MemoryKeyStore();
  const limiter = deps.limiter ??
    (config.rateLimit > 0 ? new MemoryRateLimiter({ limit: config.rateLimit }) : undefined);

  const check = (action: Action): MiddlewareHandler<AppEnv> => async (c, next) => {
    const { method, path } = c.req;
    const requestId = c.get("requestId");
    const reject = (err: FaceError, headers: HeadersInit) =>
      problemResponse(err, requestId, { instance: path, headers });

    if (config.auth === "off") {
      const addr = clientAddress(c.env);
      if (limiter && addr !== undefined) {
        const d = await limiter.limit(`ip:${addr}`);
        if (!d.allowed) {
          return reject(limited(d.limit), { "retry-after": `${d.retryAfterSeconds}` });
        }
      }
      return await next();
    }

    let key;
    try {
      key = await authenticateApiKey(keys, c.req.header("authorization"), config.keyPepper);
    } catch (err) {
      if (!(err instanceof FaceError) || err.code !== "unauthorized") throw err;
      const invalid = err.details?.reason === "invalid";
      return reject(err, {
        "www-authenticate": invalid
          ? 'Bearer realm="facegate", error="invalid_token"'
          : 'Bearer realm="facegate"',
      });
    }
    c.set("keyId", key.id);
    c.set("role", key.role);
    c.set("scope", key.collections);

    if (limiter) {
      const d = await limiter.limit(`key:${key.id}`);
      if (!d.allowed) return reject(limited(d.limit), { "retry-after": `${d.retryAfterSeconds}` });
    }
    // Hono decodes the parameter (and keeps it as sent when it is not valid percent-encoding).
    authorize(key, action, c.req.param("collection"), `${method} ${path}`);
    return await next();
  };
  const guards = new Map<Action, MiddlewareHandler<AppEnv>>();
  return (access) => {
    if (isPublic(access)) return [];
    let guard = guards.get(access);
    if (!guard) guards.set(access, guard = check(access));
    return [guard];
  };
}

function limited(limit: number): FaceError {
  return new FaceError(
    "rate_limited",
    `Cannot accept the request: more than ${limit} requests per minute`,
    { details: { limit } },
  );
}

/** The client's IP from Deno.serve's handler info (`c.env` under Deno), if any. */
function clientAddress(env: unknown): string | undefined {
  const addr = (env as { remoteAddr?: { hostname?: unknown } } | undefined)?.remoteAddr;
  return typeof addr?.hostname === "string" ? addr.hostname : undefined;
}
