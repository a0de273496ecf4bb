/**
 * The Worker's gallery shards: `FACEGATE_SHARDS` (`"collection=S,…"`, S in 1..64) names the
 * collections whose faces are also held by `S` `GalleryShard` Durable Objects (binding
 * `GALLERY_SHARDS`); their identify fans out to the shards (`lib/shards/`).
 *
 * @module
 */
import { FaceError } from "../lib/errors.ts";
import type { FaceStore } from "../lib/store/mod.ts";
import { ShardedFaceStore, type ShardStub } from "../lib/shards/mod.ts";

/** The part of a Durable Object namespace binding used here. */
interface ShardNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): ShardStub;
}

/**
 * Parses `FACEGATE_SHARDS`.
 * @throws {FaceError} `invalid_request` for a malformed value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShardCollections } from "./_shards.ts";
 * assert.deepEqual(parseShardCollections("big=4, huge=16"), { big: 4, huge: 16 });
 * assert.deepEqual(parseShardCollections(undefined), {});
 * assert.throws(() => parseShardCollections("big=0"), { code: "invalid_request" });
 * ```
 */
export function parseShardCollections(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (value ?? "").split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_.-]{1,64})=(\d{1,2})$/.exec(part);
    const n = m ? Number(m[2]) : 0;
    if (!m || n < 1 || n > 64) {
      throw new FaceError(
        "invalid_request",
        `Cannot start: FACEGATE_SHARDS entry "${part}" must be collection=S with S in 1..64`,
      );
    }
    out[m[1]] = n;
  }
  return out;
}

/**
 * `store` with the collections of `FACEGATE_SHARDS` sharded over the `GALLERY_SHARDS` binding,
 * or `store` itself when none is named.
 * @throws {FaceError} `invalid_request` when collections are named but the binding is missing.
 */
export function withGalleryShards(store: FaceStore, env: Record<string, unknown>): FaceStore {
  const raw = env.FACEGATE_SHARDS;
  const collections = parseShardCollections(typeof raw === "string" ? raw : undefined);
  if (Object.keys(collections).length === 0) return store;
  const ns = env.GALLERY_SHARDS as ShardNamespace | undefined;
  if (!ns || typeof ns.idFromName !== "function") {
    throw new FaceError(
      "invalid_request",
      "Cannot start: FACEGATE_SHARDS is set but the GALLERY_SHARDS Durable Object binding is missing",
    );
  }
  return new ShardedFaceStore(store, {
    collections,
    resolve: (name) => ns.get(ns.idFromName(name)),
  });
}
