/**
 * Private helper of `config.ts`: reading `FACEGATE_CORS_ORIGINS`.
 *
 * @module
 */

/**
 * Parses `FACEGATE_CORS_ORIGINS`: `*` (any origin) or a comma-separated list of origins
 * (`scheme://host[:port]`, no path). Unset means no origin is allowed.
 *
 * @param raw The trimmed value, or undefined when unset or empty.
 * @param problems Collects one message per bad entry.
 * @returns `["*"]`, the origins as browsers send them (lower-case scheme and host, no default
 *   port), or `[]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCorsOrigins } from "./_cors_origins.ts";
 * assert.deepEqual(parseCorsOrigins("https://A.example:443, http://localhost:5173", []), [
 *   "https://a.example",
 *   "http://localhost:5173",
 * ]);
 * ```
 */
export function parseCorsOrigins(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const entries = raw.split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (entries.includes("*")) {
    if (entries.length > 1) {
      problems.push("FACEGATE_CORS_ORIGINS: `*` cannot be combined with origins");
    }
    return ["*"];
  }
  const origins: string[] = [];
  for (const entry of entries) {
    if (!/^https?:\/\/[^/?#@\s]+\/?$/i.test(entry) || !URL.canParse(entry)) {
      problems.push(
        `FACEGATE_CORS_ORIGINS: ${JSON.stringify(entry)} is not an http(s) origin ` +
          "(scheme://host[:port], no path)",
      );
      continue;
    }
    const { origin } = new URL(entry);
    if (!origins.includes(origin)) origins.push(origin);
  }
  return origins;
}
