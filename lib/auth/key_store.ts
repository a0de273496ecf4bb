/**
 * The {@linkcode KeyStore} role: where API key records live. Implementations sit beside each
 * `FaceStore` (memory, Deno KV, Upstash Redis) and use the same backing store.
 *
 * @module
 */
import type { ApiKeyRecord } from "./api_key.ts";

/** Storage of API key records (hashes only, never keys). */
export interface KeyStore {
  /** Which backend. */
  readonly kind: "memory" | "kv" | "upstash";
  /**
   * Stores a new record.
   * @throws {FaceError} `conflict` when the id exists; `store_unavailable` on backend failure.
   */
  insert(record: ApiKeyRecord): Promise<void>;
  /** The record with this id, or null. */
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every record, oldest first (by `created_at`, then id). */
  list(): Promise<ApiKeyRecord[]>;
  /**
   * Marks a key revoked at `at` (an already revoked key keeps its first time).
   * @returns The updated record, or null when there is no such key.
   */
  revoke(id: string, at: string): Promise<ApiKeyRecord | null>;
  /** Releases connections or handles the store owns. */
  close(): Promise<void>;
}

/** Orders records oldest first, then by id. */
export function byCreation(a: ApiKeyRecord, b: ApiKeyRecord): number {
  return a.created_at < b.created_at
    ? -1
    : a.created_at > b.created_at
    ? 1
    : a.id < b.id
    ? -1
    : a.id > b.id
    ? 1
    : 0;
}
