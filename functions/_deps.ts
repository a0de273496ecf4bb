/**
 * The app's dependencies built from a configuration, the same way on every platform: the entry
 * files (`main.ts` for Deno, `worker.ts` for Workers) only say where the model files come from.
 * A new dependency is added here, once.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { type ModelLoader, SessionCache } from "../lib/embed/mod.ts";
import {
  type FaceStore,
  KvFaceStore,
  MasterKeyring,
  MemoryFaceStore,
  openIdempotencyStore,
  type StoreEncryption,
  UpstashFaceStore,
} from "../lib/store/mod.ts";
import { FaceError } from "../lib/errors.ts";
import { openKeyStore } from "../lib/auth/mod.ts";
import { type RateLimiter, UpstashRateLimiter } from "../lib/ratelimit/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import type { AppDeps } from "./_context.ts";

/** What differs between platforms when building {@linkcode AppDeps}. */
export interface Platform {
  /** Serves the model files to the session cache (files on Deno, the bundle on Workers). */
  modelLoader: ModelLoader;
}

/**
 * The encryption of a configuration's store: its master keyring, or `"off"`.
 *
 * @throws {FaceError} `invalid_request` when encryption is on but no master key was given (on
 *   Deno, `resolveMasterKey` in `_master_key.ts` reads the key file first).
 */
export async function storeEncryption(config: Config): Promise<StoreEncryption> {
  const enc = config.encryption;
  if (enc.mode === "off") return "off";
  if (enc.masterKeys.length === 0) {
    throw new FaceError(
      "invalid_request",
      "Cannot start: no master key for encryption at rest: set FACEGATE_MASTER_KEY (base64 of " +
        "32 random bytes); FACEGATE_ENCRYPTION=off stores faces in plain text (tests only)",
    );
  }
  return await MasterKeyring.fromBytes(enc.masterKeys);
}

/**
 * Opens the store a configuration names; for Deno KV, creates the file's directory first.
 *
 * @throws {FaceError} `store_unavailable` when the store cannot be opened; `invalid_request`
 *   without a master key (see {@linkcode storeEncryption}).
 */
export async function openStore(config: Config): Promise<FaceStore> {
  const store = config.store;
  if (store.kind === "memory") return new MemoryFaceStore();
  const encryption = await storeEncryption(config);
  if (store.kind === "upstash") {
    const { url, token, prefix } = store;
    return new UpstashFaceStore({ url, token, prefix, encryption });
  }
  const slash = store.path.lastIndexOf("/");
  if (store.path !== ":memory:" && slash > 0) {
    await Deno.mkdir(store.path.slice(0, slash), { recursive: true });
  }
  return await KvFaceStore.open(store.path, { encryption });
}

/**
 * The rate limiter a configuration names: Upstash (`@upstash/ratelimit`, shared by every
 * isolate) on the Upstash store, else undefined (the app then limits in memory); undefined too
 * when `FACEGATE_RATE_LIMIT=0`.
 */
export function openRateLimiter(config: Config): RateLimiter | undefined {
  const store = config.store;
  if (config.rateLimit === 0 || store.kind !== "upstash") return undefined;
  return new UpstashRateLimiter({
    url: store.url,
    token: store.token,
    prefix: store.prefix,
    limit: config.rateLimit,
  });
}

/**
 * Builds the app's dependencies from a configuration: model sessions (loaded lazily through
 * `platform.modelLoader`, `config.ortThreads` threads), the face store, the idempotency store of
 * the upload webhook beside it, with `FACEGATE_AUTH=keys` the key store, and the rate limiter.
 *
 * @param config The parsed configuration.
 * @param platform See {@linkcode Platform}.
 * @returns The dependencies; release them with {@linkcode closeAppDeps}.
 * @throws {FaceError} `store_unavailable` when a store cannot be opened.
 */
export async function buildAppDeps(config: Config, platform: Platform): Promise<AppDeps> {
  return {
    pipeline: {
      sessions: new SessionCache(platform.modelLoader, { threads: config.ortThreads }),
      manifest: MODEL_MANIFEST,
    },
    store: await openStore(config),
    config,
    keys: config.auth === "keys" ? await openKeyStore(config.store) : undefined,
    limiter: openRateLimiter(config),
    idempotency: await openIdempotencyStore(config.store),
  };
}

/** Closes the stores of `deps`: faces, API keys and idempotency records. */
export async function closeAppDeps(deps: AppDeps): Promise<void> {
  await deps.store.close();
  await deps.keys?.close();
  await deps.idempotency?.close();
}
