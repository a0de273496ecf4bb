/**
 * Who is asking, for the use cases' policy and audit rules.
 *
 * @module
 */
import type { Context } from "hono";
import { type Caller, callerUnder } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";

/**
 * The caller of a request: its key id, its request id and whether it may loosen a match decision
 * (the rule is the use cases' {@linkcode callerUnder}).
 */
export function callerOf(s: Services, c: Context<AppEnv>): Caller {
  return callerUnder(
    s.config.auth,
    { role: c.get("role"), keyId: c.get("keyId") },
    c.get("requestId"),
  );
}
