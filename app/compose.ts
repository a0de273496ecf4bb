/**
 * The composition root: the dependencies built from a configuration, the same way on every
 * platform and for every caller. The HTTP entry files (`functions/main.ts` for Deno,
 * `functions/worker.ts` for Workers) and the CLIs only say where the model files come from
 * ({@linkcode Platform}); the use cases' deps are derived here too ({@linkcode useCaseDeps}).
 * A new dependency is added here, once.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { type ModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { openBackend } from "../lib/backend/mod.ts";
import { MasterKeyring, type StoreEncryption } from "../lib/store/mod.ts";
import { FaceError } from "../lib/errors.ts";
import { GalleryCache } from "../lib/match/mod.ts";
import {
  auditEventId,
  MemoryAuditStore,
  MemoryLivenessSessionStore,
  MemoryPolicyStore,
} from "../lib/store/mod.ts";
import {
  BackgroundPurge,
  livenessTokenKey,
  matchThresholds,
  SessionLivenessTokens,
  type UseCaseDeps,
  withDefaultRecipe,
} from "../lib/usecases/mod.ts";
import { embedderRecipes, MODEL_MANIFEST } from "../models/manifest.ts";
import { type ComposedDeps, consoleLogger } from "./composed_deps.ts";

/** What differs between platforms when building {@linkcode ComposedDeps}. */
export interface Platform {
  /** Serves the model files to the session cache (files on Deno, the bundle on Workers). */
  modelLoader: ModelLoader;
  /**
   * Faces per Redis gallery round trip (`UpstashFaceStore`'s `galleryBatch`). Default: the
   * store's (2000).
   */
  galleryBatch?: number;
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
 * The secret material of liveness tokens: the newest master key (encryption at rest), else the
 * key pepper (`FACEGATE_KEY_PEPPER`), else none (a per-process random key: tokens are then
 * redeemable only by the process that issued them, which is enough for one server but not for
 * several workers or isolates).
 */
export function livenessTokenMaterial(config: Config): Uint8Array | undefined {
  const enc = config.encryption;
  if (enc.mode === "on" && enc.masterKeys.length > 0) return enc.masterKeys[0];
  if (config.keyPepper) return new TextEncoder().encode(config.keyPepper);
  return undefined;
}

/**
 * Builds the app's dependencies from a configuration: model sessions (loaded lazily through
 * `platform.modelLoader`, `config.ortThreads` threads) and the one backend of the configured
 * store ({@linkcode openBackend}: faces, idempotency records, with `FACEGATE_AUTH=keys` the API
 * keys, and on Redis the shared rate limiter, all on one connection).
 *
 * @param config The parsed configuration.
 * @param platform See {@linkcode Platform}.
 * @returns The dependencies; release them with {@linkcode closeDeps}.
 * @throws {FaceError} `store_unavailable` when the store cannot be opened; `invalid_request`
 *   without a master key (see {@linkcode storeEncryption}).
 */
export async function composeDeps(config: Config, platform: Platform): Promise<ComposedDeps> {
  const encryption = config.store.kind === "memory" ? "off" : await storeEncryption(config);
  const backend = await openBackend(config.store, {
    rateLimit: config.rateLimit,
    encryption,
    galleryBatch: platform.galleryBatch,
    // Policies written under an old per-recipe key are found (and moved) whatever the recipe.
    recipeIds: embedderRecipes(MODEL_MANIFEST).map((r) => r.id),
    // Sealed-only reads: a refused record is never matched; say so, one line per record.
    onRefused: (record) =>
      consoleLogger.error({
        msg: "face record refused: not a valid sealed record for its place (never matched; " +
          "plain records become usable only through `deno task keys encrypt-existing`)",
        ...record,
      }),
  });
  const material = livenessTokenMaterial(config);
  if (!material && config.store.kind !== "memory") {
    consoleLogger.info({
      msg: "liveness tokens are signed with a per-process random key: a token is redeemable " +
        "only by the process that issued it (set FACEGATE_MASTER_KEY or FACEGATE_KEY_PEPPER to " +
        "share one key between processes)",
    });
  }
  return {
    livenessSessions: backend.liveness,
    livenessTokenKey: await livenessTokenKey(material),
    pipeline: {
      sessions: new SessionCache(platform.modelLoader, { threads: config.ortThreads }),
      manifest: MODEL_MANIFEST,
    },
    store: backend.faces,
    config,
    keys: config.auth === "keys" ? backend.keys : undefined,
    limiter: backend.limiter,
    idempotency: backend.idempotency,
    policies: backend.policies,
    audits: backend.audit,
    backend,
  };
}

/** Closes the backend of `deps` (or, when built by hand, its stores one by one). */
export async function closeDeps(deps: ComposedDeps): Promise<void> {
  if (deps.backend) return await deps.backend.close();
  await deps.store.close();
  await deps.keys?.close();
  await deps.idempotency?.close();
}

/**
 * The use cases' dependencies of an app's deps: the manifest (`deps.manifest`, else the
 * pipeline's, else the committed one) with its thresholds, the configured match strategy and
 * decoder limits, a fresh per-isolate gallery cache, the clock (`deps.clock`), the background
 * purge (`purgeIntervalMinutes`), the match policies and the audit trail (in
 * memory per app when `deps.policies` / `deps.audits` are not given) and the audit sink (one
 * `msg: "audit"` log line per event, and the collection's trail). `createApp` and the CLIs' local
 * mode both build theirs here.
 */
export function useCaseDeps(deps: ComposedDeps): UseCaseDeps {
  const manifest = deps.manifest ?? deps.pipeline.manifest ?? MODEL_MANIFEST;
  const logger = deps.logger ?? consoleLogger;
  const audits = deps.audits ?? new MemoryAuditStore();
  const ttlMs = deps.config.auditTtlDays * 86_400_000;
  const livenessSessions = deps.livenessSessions ?? new MemoryLivenessSessionStore();
  return withDefaultRecipe({
    pipeline: { sessions: deps.pipeline.sessions, manifest },
    store: deps.store,
    model: manifest.embedder.id,
    thresholds: matchThresholds(manifest),
    matchStrategy: deps.config.matchStrategy,
    galleries: new GalleryCache(),
    ...(deps.clock === undefined ? {} : { now: deps.clock }),
    // Match requests purge their collection's expired faces in the background, now and then.
    ...(deps.config.purgeIntervalMinutes === 0 ? {} : {
      backgroundPurge: new BackgroundPurge({
        intervalMs: deps.config.purgeIntervalMinutes * 60_000,
        onError: (collection, err) =>
          logger.error({
            msg: "background purge failed",
            collection,
            error: err instanceof Error ? err.message : String(err),
          }),
      }),
    }),
    policies: deps.policies ?? new MemoryPolicyStore(),
    idempotency: deps.idempotency,
    livenessSessions,
    livenessTokens: new SessionLivenessTokens({
      sessions: livenessSessions,
      key: deps.livenessTokenKey ?? livenessTokenKey(),
      ...(deps.clock === undefined ? {} : { now: () => deps.clock!().getTime() }),
    }),
    ...(deps.livenessChallenge === undefined ? {} : { livenessChallenge: deps.livenessChallenge }),
    audits,
    // One structured log line per event, and the collection's trail (a failure to keep it is
    // logged: the write it describes has happened).
    audit: async (event) => {
      const record = { id: auditEventId(), time: new Date().toISOString(), ...event };
      logger.info({ msg: "audit", ...record });
      if (record.collection === undefined) return;
      const ref = { model: manifest.embedder.id, collection: record.collection };
      await audits.append(ref, record, ttlMs).catch((err: unknown) =>
        logger.error({
          msg: "audit event not kept",
          audit_id: record.id,
          error: err instanceof Error ? err.message : String(err),
        })
      );
    },
    limits: {
      maxBytes: deps.config.maxBodyBytes,
      maxPixels: deps.config.maxPixels,
      maxDecodedBytes: deps.config.maxDecodedBytes,
    },
  });
}
