/**
 * Maintenance of encryption at rest, implemented by the Deno KV and Upstash stores: rotating the
 * master key and sealing records written in plain text (before encryption existed, or with
 * `FACEGATE_ENCRYPTION=off`). Both run online, beside a serving process.
 *
 * @module
 */
import type { FaceStore } from "../faces/face_store.ts";

/** What {@linkcode KeyMaintenance.rotateMasterKey} did. */
export interface RotationReport {
  /** Collections with a data key. */
  collections: number;
  /** Data keys re-wrapped with the newest master key (the others already were). */
  rewrapped: number;
  /** Id of the newest master key, which now wraps every data key. */
  master_key_id: string;
}

/** A store that seals records with per-collection data keys. */
export interface KeyMaintenance {
  /**
   * Re-wraps every collection's data key with the newest master key; records are not touched.
   * Afterwards older master keys can be removed from `FACEGATE_MASTER_KEY`.
   *
   * @throws {FaceError} `store_key_unavailable` naming a key id when a data key cannot be
   *   unwrapped with any configured master key (nothing is skipped).
   */
  rotateMasterKey(): Promise<RotationReport>;
  /**
   * Seals every plain face record (embedding and metadata) in place.
   *
   * @returns The number of faces sealed.
   */
  sealPlainRecords(): Promise<number>;
  /**
   * Counts the plain face records (one scan of every face): with encryption on they are refused by
   * every read until {@linkcode KeyMaintenance.sealPlainRecords} seals them.
   */
  countPlainRecords(): Promise<number>;
  /**
   * Re-seals every embedding sealed with the v1 AAD (before creation times were bound) with the
   * v2 AAD, which binds the face's creation time, so retention cannot be cheated by re-dating it.
   * A record that does not open is left as it is (reads refuse it).
   *
   * @returns The number of faces re-sealed.
   */
  resealLegacyRecords(): Promise<number>;
}

/**
 * Whether `store` supports {@linkcode KeyMaintenance}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasKeyMaintenance, MemoryFaceStore } from "../mod.ts";
 * assert.ok(!hasKeyMaintenance(new MemoryFaceStore()));
 * ```
 */
export function hasKeyMaintenance(store: FaceStore): store is FaceStore & KeyMaintenance {
  const s = store as Partial<KeyMaintenance>;
  return typeof s.rotateMasterKey === "function" && typeof s.sealPlainRecords === "function" &&
    typeof s.resealLegacyRecords === "function";
}
