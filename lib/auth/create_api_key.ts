/**
 * Creating API keys: validate the request, generate the key, store only its hash.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { validateName } from "../store/mod.ts";
import {
  type ApiKeyInfo,
  type ApiKeyRecord,
  generateApiKey,
  keyInfo,
  type Role,
  ROLES,
} from "./api_key.ts";
import { hashApiKey } from "./hash_api_key.ts";
import type { KeyStore } from "./key_store.ts";

/** What to create. */
export interface NewApiKey {
  /** Human label, `[A-Za-z0-9 _.@:-]{1,64}`. */
  name: string;
  /** The role. */
  role: Role;
  /** Collection names, or `"*"` for all. */
  collections: "*" | string[];
}

/** Options for {@linkcode createApiKey}. */
export interface CreateApiKeyOptions {
  /** Server pepper: hash with HMAC-SHA-256. Default: none (SHA-256). */
  pepper?: string;
  /** Clock for `created_at`. Default: `() => new Date()`. */
  now?: () => Date;
}

/** A created key: the secret, shown once, and its record without the hash. */
export interface CreatedApiKey {
  /** The whole key: give it to the client now; it cannot be recovered. */
  key: string;
  /** The stored record without its hash. */
  info: ApiKeyInfo;
}

const LABEL_RE = /^[A-Za-z0-9 _.@:-]{1,64}$/;

/**
 * Creates a key in `store`.
 *
 * @param store Where the hash goes.
 * @param spec Name, role and collections.
 * @param options Pepper and clock.
 * @returns The key (once) and its info.
 * @throws {FaceError} `invalid_request` for a bad name, role or collection; `store_unavailable`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApiKey } from "./create_api_key.ts";
 * import { MemoryKeyStore } from "./memory_key_store.ts";
 * const store = new MemoryKeyStore();
 * const { key, info } = await createApiKey(store, { name: "kiosk", role: "verify", collections: ["a"] });
 * assert.ok(key.startsWith(`fg_${info.id}_`) && !JSON.stringify(await store.list()).includes(key));
 * ```
 */
export async function createApiKey(
  store: KeyStore,
  spec: NewApiKey,
  options: CreateApiKeyOptions = {},
): Promise<CreatedApiKey> {
  const problems: string[] = [];
  if (typeof spec.name !== "string" || !LABEL_RE.test(spec.name)) {
    problems.push(`name must match ${LABEL_RE.source}`);
  }
  if (!ROLES.includes(spec.role)) problems.push(`role must be one of ${ROLES.join(", ")}`);
  let collections: "*" | string[] = "*";
  if (spec.collections !== "*") {
    if (!Array.isArray(spec.collections) || spec.collections.length === 0) {
      problems.push('collections must be "*" or a non-empty list of names');
    } else {
      try {
        collections = [...new Set(spec.collections.map((c) => validateName("collection", c)))];
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
  }
  if (problems.length > 0) {
    throw new FaceError("invalid_request", `Cannot create key: ${problems.join("; ")}`, {
      details: { problems },
    });
  }
  const { id, key } = generateApiKey();
  const record: ApiKeyRecord = {
    id,
    name: spec.name,
    role: spec.role,
    collections,
    created_at: (options.now ?? (() => new Date()))().toISOString(),
    revoked_at: null,
    hash: await hashApiKey(key, options.pepper),
  };
  await store.insert(record);
  return { key, info: keyInfo(record) };
}
