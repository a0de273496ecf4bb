/**
 * Authentication, authorization and rate limiting of API requests, as one Hono middleware that
 * runs before any body is read (so 401/403/429 cost no image work).
 *
 * - Routes in {@linkcode AUTH_EXEMPT} pass untouched: the one list of routes without Bearer auth.
 * - Every other route needs `Authorization: Bearer <key>` when `FACEGATE_AUTH=keys` (the
 *   default): a missing, malformed, unknown or revoked key is 401 `unauthorized` with
 *   `WWW-Authenticate: Bearer`.
 * - Then the key's rate limit (`FACEGATE_RATE_LIMIT` per minute): 429 `rate_limited` with
 *   `Retry-After`. Refused requests do not count.
 * - Then the role and collection scope of the route's action ({@linkcode OPERATION_ACTIONS}, see
 *   `lib/auth/roles.ts`): 403 `forbidden`. A path that matches no declared operation needs the
 *   `admin` action (deny by default), so a route mounted without a declared action is admin-only.
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
import type { AppEnv, Services } from "./_context.ts";
import type { OperationSpec } from "./_openapi.ts";
import { problemResponse } from "./problem.ts";

/** A route that does not take Bearer auth, and why. */
export interface ExemptRoute {
  /** HTTP method (`GET` also covers `HEAD`). */
  method: "GET" | "POST";
  /** Exact path. */
  path: string;
  /** Why it is exempt. */
  why: string;
}

/** Every route without Bearer auth. Nothing else is exempt. */
export const AUTH_EXEMPT: readonly ExemptRoute[] = [
  { method: "GET", path: "/healthz", why: "liveness probes" },
  { method: "GET", path: "/openapi.json", why: "the public API description" },
  { method: "GET", path: "/docs", why: "the public API page" },
  { method: "GET", path: "/", why: "the web app page (its API calls carry the user's key)" },
  { method: "GET", path: "/app.js", why: "the web app's script" },
  { method: "GET", path: "/app.css", why: "the web app's style sheet" },
  { method: "GET", path: "/favicon.svg", why: "the icon" },
  { method: "GET", path: "/favicon.ico", why: "the icon browsers ask for on every page" },
  {
    method: "POST",
    path: "/v1/webhooks/upload",
    why: "authenticated by its own signature (functions/webhooks.ts)",
  },
];

/** The action of each operation (by `operationId`); see `lib/auth/roles.ts` for the roles. */
export const OPERATION_ACTIONS: Readonly<Record<string, Action>> = {
  detect: "analyze",
  previewImage: "analyze",
  embed: "analyze",
  compare: "match",
  verifySubject: "match",
  identify: "match",
  checkLiveness: "analyze",
  startLivenessSession: "match",
  checkLivenessFrames: "match",
  enrollFace: "enroll",
  listSubjects: "read",
  getSubject: "read",
  deleteSubject: "delete",
  deleteFace: "delete",
  deleteCollection: "delete_collection",
  listCollections: "match",
  getMatchPolicy: "admin",
  listAudit: "admin",
  setMatchPolicy: "admin",
  setSubjectExpiry: "admin",
  purgeExpired: "admin",
  convertCollection: "admin",
};

/** Whether `method path` is in {@linkcode AUTH_EXEMPT}. */
export function isAuthExempt(method: string, path: string): boolean {
  const m = method === "HEAD" ? "GET" : method;
  return AUTH_EXEMPT.some((r) => r.method === m && r.path === path);
}

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

interface CompiledOperation {
  method: string;
  re: RegExp;
  spec: OperationSpec;
}

function compile(spec: OperationSpec): CompiledOperation {
  const source = spec.path.split("/").map((part) =>
    part.startsWith(":")
      ? `(?<${part.slice(1)}>[^/]+)`
      : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return { method: spec.method.toUpperCase(), re: new RegExp(`^${source}$`), spec };
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
 * Builds the middleware.
 *
 * @param s The app's services (config, route registry).
 * @param deps Key store and rate limiter.
 * @throws {TypeError} When `config.auth` is `"keys"` and `deps.keys` is missing.
 */
export function authMiddleware(s: Services, deps: AuthDeps): MiddlewareHandler<AppEnv> {
  const { config } = s;
  if (config.auth === "keys" && deps.keys === undefined) {
    throw new TypeError(
      'createApp: config.auth is "keys" but no key store was given (deps.keys); ' +
        "open the backend with openBackend(config.store) from lib/backend/mod.ts",
    );
  }
  const keys = deps.keys ?? new MemoryKeyStore();
  const limiter = deps.limiter ??
    (config.rateLimit > 0 ? new MemoryRateLimiter({ limit: config.rateLimit }) : undefined);
  let operations: CompiledOperation[] | undefined;

  const match = (method: string, path: string) => {
    operations ??= s.api.operations.map(compile);
    const m = method === "HEAD" ? "GET" : method;
    for (const op of operations) {
      if (op.method !== m) continue;
      const found = op.re.exec(path);
      if (found) return { op, params: found.groups ?? {} };
    }
    return undefined;
  };

  return async (c, next) => {
    const { method, path } = c.req;
    if (isAuthExempt(method, path)) return await next();
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

    const found = match(method, path);
    const action: Action = found
      ? OPERATION_ACTIONS[found.op.spec.operationId] ?? "admin"
      : "admin";
    const raw = found?.params.collection;
    let collection: string | undefined;
    try {
      collection = raw === undefined ? undefined : decodeURIComponent(raw);
    } catch {
      collection = raw;
    }
    authorize(key, action, collection, `${method} ${path}`);
    return await next();
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
