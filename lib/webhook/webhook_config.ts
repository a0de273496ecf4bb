/**
 * The webhook part of the configuration (see `lib/config.ts`, which calls
 * {@linkcode parseWebhookConfig}).
 *
 * | variable                                   | default                                  |
 * | ------------------------------------------ | ---------------------------------------- |
 * | `FACEGATE_WEBHOOK_SECRET`                  | none: the webhook answers 404            |
 * | `FACEGATE_WEBHOOK_ALLOWED_HOSTS`           | none: every image URL is refused         |
 * | `FACEGATE_WEBHOOK_TOLERANCE_SECONDS`       | `300`                                    |
 * | `FACEGATE_WEBHOOK_IDEMPOTENCY_TTL_SECONDS` | `86400`                                  |
 * | `FACEGATE_WEBHOOK_FETCH_TIMEOUT_MS`        | `10000`                                  |
 * | `FACEGATE_WEBHOOK_MAX_REDIRECTS`           | `3`                                      |
 * | `FACEGATE_WEBHOOK_CALLBACK_URL`            | none: no callback                        |
 * | `FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK`     | `0` (tests only: `1` allows http + loopback) |
 *
 * `FACEGATE_WEBHOOK_SECRET` is a comma-separated list of `whsec_…` secrets, each optionally
 * bound to the collections it may touch: `whsec_…:lobby|staff` (no suffix, or `:*`: all).
 *
 * @module
 */
import { decodeWebhookSecret } from "./webhook_secret.ts";
import { intReader } from "../_env.ts";

/** Webhook settings. `secrets` are secret: never log them. */
export interface WebhookConfig {
  /** Accepted signing secrets (`whsec_<base64>`); the first also signs callbacks. Default: []. */
  secrets: string[];
  /**
   * The collections each secret (same index) may touch: `"*"` (all, the default when an entry has
   * no `:` suffix) or a list, from `whsec_…:lobby|staff` entries of `FACEGATE_WEBHOOK_SECRET`.
   */
  scopes: ("*" | string[])[];
  /** Host allowlist for image and callback URLs (exact or `*.suffix`). Default: []. */
  allowedHosts: string[];
  /** Largest clock distance of `webhook-timestamp`, in seconds. Default: 300. */
  toleranceSeconds: number;
  /** How long a processed `webhook-id` is remembered, in seconds. Default: 86400. */
  idempotencyTtlSeconds: number;
  /** Deadline of one outbound exchange (DNS, redirects, body), in ms. Default: 10000. */
  fetchTimeoutMs: number;
  /** Redirects followed at most. Default: 3. */
  maxRedirects: number;
  /** Where results are POSTed, signed. Default: undefined (no callback). */
  callbackUrl: string | undefined;
  /** TESTS ONLY: allow `http:` and loopback addresses. Default: false. */
  allowInsecureLoopback: boolean;
}

/**
 * Parses the `FACEGATE_WEBHOOK_*` variables, appending one message per bad variable to
 * `problems` (secret values are never echoed).
 *
 * @param get Reads a variable; undefined when unset or empty.
 * @param problems Collects the problems.
 * @returns The settings, with defaults where a variable is bad.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWebhookConfig } from "./webhook_config.ts";
 * const problems: string[] = [];
 * const env: Record<string, string> = { FACEGATE_WEBHOOK_ALLOWED_HOSTS: "a.example.com, *.cdn.example.com" };
 * const config = parseWebhookConfig((name) => env[name], problems);
 * assert.deepEqual(config.allowedHosts, ["a.example.com", "*.cdn.example.com"]);
 * assert.deepEqual(problems, []);
 * ```
 */
export function parseWebhookConfig(
  get: (name: string) => string | undefined,
  problems: string[],
): WebhookConfig {
  const int = intReader(get, problems);
  const list = (name: string) => (get(name) ?? "").split(",").map((s) => s.trim()).filter(Boolean);

  const secrets: string[] = [];
  const scopes: ("*" | string[])[] = [];
  list("FACEGATE_WEBHOOK_SECRET").forEach((entry, i) => {
    const colon = entry.indexOf(":");
    const secret = colon < 0 ? entry : entry.slice(0, colon);
    const scope = colon < 0 ? "*" : entry.slice(colon + 1).trim();
    try {
      decodeWebhookSecret(secret);
    } catch (err) {
      problems.push(`FACEGATE_WEBHOOK_SECRET entry ${i + 1}: ${(err as Error).message}`);
    }
    const names = scope === "*" ? [] : scope.split("|").map((s) => s.trim());
    if (scope !== "*" && !names.every((n) => /^[A-Za-z0-9_.@-]{1,128}$/.test(n))) {
      problems.push(
        `FACEGATE_WEBHOOK_SECRET entry ${i + 1}: the collections after ":" must be * or ` +
          "names separated by |",
      );
    }
    secrets.push(secret);
    scopes.push(scope === "*" ? "*" : names);
  });
  const allowedHosts = list("FACEGATE_WEBHOOK_ALLOWED_HOSTS").map((h) => h.toLowerCase());
  for (const host of allowedHosts) {
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)+$|^[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(host)) {
      problems.push(
        `FACEGATE_WEBHOOK_ALLOWED_HOSTS entry ${JSON.stringify(host)} must be a host, ` +
          `*.suffix (at least two labels) or a bracketed IPv6 address`,
      );
    }
  }
  const loopback = get("FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK") ?? "0";
  if (!["0", "1", "true", "false"].includes(loopback)) {
    problems.push(
      `FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK must be 0 or 1, got ${JSON.stringify(loopback)}`,
    );
  }
  const allowInsecureLoopback = loopback === "1" || loopback === "true";
  const callbackUrl = get("FACEGATE_WEBHOOK_CALLBACK_URL");
  if (callbackUrl !== undefined) {
    const scheme = URL.canParse(callbackUrl) ? new URL(callbackUrl).protocol : undefined;
    if (scheme !== "https:" && !(allowInsecureLoopback && scheme === "http:")) {
      problems.push("FACEGATE_WEBHOOK_CALLBACK_URL must be an https URL");
    } else if (secrets.length === 0) {
      problems.push(
        "FACEGATE_WEBHOOK_CALLBACK_URL needs FACEGATE_WEBHOOK_SECRET to sign callbacks",
      );
    }
  }
  return {
    secrets,
    scopes,
    allowedHosts,
    toleranceSeconds: int("FACEGATE_WEBHOOK_TOLERANCE_SECONDS", 300, 1, 86_400),
    idempotencyTtlSeconds: int("FACEGATE_WEBHOOK_IDEMPOTENCY_TTL_SECONDS", 86_400, 60, 30 * 86_400),
    fetchTimeoutMs: int("FACEGATE_WEBHOOK_FETCH_TIMEOUT_MS", 10_000, 100, 120_000),
    maxRedirects: int("FACEGATE_WEBHOOK_MAX_REDIRECTS", 3, 0, 10),
    callbackUrl,
    allowInsecureLoopback,
  };
}
