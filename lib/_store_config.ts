/**
 * The store and encryption parts of {@linkcode parseConfig}: which backend, its credentials, and
 * encryption at rest.
 *
 * @module
 */
import { parseMasterKeys } from "./store/mod.ts";
import type { EncryptionConfig, StoreConfig } from "./config.ts";

const STORES = ["kv", "memory", "upstash"] as const;

export function parseEncryption(
  get: (name: string) => string | undefined,
  store: StoreConfig,
  problems: string[],
): EncryptionConfig {
  const mode = get("FACEGATE_ENCRYPTION") ?? "on";
  if (mode !== "on" && mode !== "off") {
    problems.push(`FACEGATE_ENCRYPTION must be "on" or "off", got ${JSON.stringify(mode)}`);
  }
  if (mode === "off") return { mode };
  const text = get("FACEGATE_MASTER_KEY");
  let keyFile = get("FACEGATE_MASTER_KEY_FILE");
  const parsed = text === undefined ? { keys: [], problems: [] } : parseMasterKeys(text);
  problems.push(...parsed.problems);
  if (text !== undefined && keyFile !== undefined) {
    problems.push("FACEGATE_MASTER_KEY and FACEGATE_MASTER_KEY_FILE are both set: use one");
  }
  if (text === undefined && keyFile === undefined && store.kind === "kv") {
    const slash = store.path.lastIndexOf("/");
    keyFile = `${slash > 0 ? store.path.slice(0, slash) : "."}/master.key`;
  }
  if (text === undefined && keyFile === undefined && store.kind === "upstash") {
    problems.push(
      "FACEGATE_MASTER_KEY is required with the upstash store: base64 of 32 random bytes " +
        "(e.g. `openssl rand -base64 32`); FACEGATE_ENCRYPTION=off stores faces in plain text " +
        "(tests only)",
    );
  }
  return { mode: "on", masterKeys: parsed.keys, keyFile: text === undefined ? keyFile : undefined };
}

export function parseStore(
  get: (name: string) => string | undefined,
  problems: string[],
): StoreConfig {
  const upstash = upstashCredentials(get, problems);
  const kindRaw = get("FACEGATE_STORE") ?? (upstash ? "upstash" : "kv");
  const kind = STORES.find((s) => s === kindRaw);
  if (kind === undefined) {
    problems.push(
      `FACEGATE_STORE must be one of ${STORES.join(", ")}, got ${JSON.stringify(kindRaw)}`,
    );
    return { kind: "memory" };
  }
  if (kind === "memory") return { kind };
  if (kind === "kv") return { kind, path: get("FACEGATE_KV_PATH") ?? "./data/facegate.kv" };
  if (!upstash) {
    problems.push(
      "FACEGATE_STORE=upstash needs UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN " +
        "(or KV_REST_API_URL and KV_REST_API_TOKEN)",
    );
    return { kind: "memory" };
  }
  const prefix = get("FACEGATE_REDIS_PREFIX");
  if (prefix !== undefined && /[{}\s]/.test(prefix)) {
    problems.push("FACEGATE_REDIS_PREFIX must not contain braces or whitespace");
  }
  return prefix === undefined ? { kind, ...upstash } : { kind, ...upstash, prefix };
}

export function upstashCredentials(
  get: (name: string) => string | undefined,
  problems: string[],
): { url: string; token: string } | undefined {
  for (
    const [urlVar, tokenVar] of [
      ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"],
      ["KV_REST_API_URL", "KV_REST_API_TOKEN"],
    ]
  ) {
    const url = get(urlVar), token = get(tokenVar);
    if (url === undefined && token === undefined) continue;
    if (url === undefined || token === undefined) {
      problems.push(
        `${url === undefined ? urlVar : tokenVar} is missing (${
          url === undefined ? tokenVar : urlVar
        } is set)`,
      );
      return undefined;
    }
    if (!/^https?:\/\/[^\s]+$/.test(url)) {
      problems.push(`${urlVar} must be an http(s) URL`);
      return undefined;
    }
    return { url, token };
  }
  return undefined;
}
