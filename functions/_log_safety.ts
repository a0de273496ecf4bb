/**
 * Keeps request data out of error logs. `@upstash/redis` puts the whole failed command in its
 * error messages (`..., command was: [...]`), which for an enrolment holds the packed embedding
 * and metadata; this cuts such text before it is logged.
 *
 * @module
 */

const COMMAND_RE = /,? command was: [\s\S]*$/;
const BEARER_RE = /\bfg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\b/g;

/**
 * Redacts an error text for the log: drops an echoed Redis command and masks API keys.
 *
 * @param text An error message or stack.
 * @returns The text without request data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactForLog } from "./_log_safety.ts";
 * assert.equal(redactForLog('ERR x, command was: ["EVAL","AAAA"]'), "ERR x [command redacted]");
 * ```
 */
export function redactForLog(text: string): string {
  return text.split("\n").map((line) =>
    line.replace(COMMAND_RE, " [command redacted]").replace(BEARER_RE, "fg_[redacted]")
  ).join("\n");
}
