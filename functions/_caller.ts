/**
 * Who is asking, for the use cases' policy and audit rules.
 *
 * @module
 */
import type { Context } from "hono";
import type { Caller } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";

/**
 * The caller of a request: its key id, its request id and whether it may loosen a match decision
 * (an `admin` key; with `FACEGATE_AUTH=off`, development only, every caller is trusted).
 */
export function callerOf(s: Services, c: Context<AppEnv>): Caller {
  return {
    admin: s.config.auth === "off" || c.get("role") === "admin",
    keyId: c.get("keyId"),
    requestId: c.get("requestId"),
  };
}
