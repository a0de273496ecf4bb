/**
 * Matching of URL hosts against the configured allowlist.
 *
 * @module
 */

/**
 * Whether `host` is on the allowlist. An entry is an exact host (`uploads.example.com`, an IP
 * literal such as `127.0.0.1` or `[::1]`) or `*.` plus a suffix (`*.example.com` matches
 * `a.example.com` and `a.b.example.com`, not `example.com` itself). Comparison ignores case and a
 * trailing dot.
 *
 * @param host The URL's `hostname`.
 * @param allowed The allowlist entries.
 * @returns True when an entry matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isAllowedHost } from "./is_allowed_host.ts";
 * assert.equal(isAllowedHost("cdn.uploads.example.com", ["*.example.com"]), true);
 * assert.equal(isAllowedHost("example.com", ["*.example.com"]), false);
 * assert.equal(isAllowedHost("evilexample.com", ["*.example.com"]), false);
 * ```
 */
export function isAllowedHost(host: string, allowed: readonly string[]): boolean {
  const h = normalize(host);
  if (h === "") return false;
  return allowed.some((entry) => {
    const e = normalize(entry);
    if (e.startsWith("*.")) return h.endsWith(e.slice(1)) && h.length > e.length - 1;
    return e === h;
  });
}

function normalize(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}
