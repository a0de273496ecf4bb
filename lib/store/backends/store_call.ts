/**
 * How the backends report a failed call: every error but a {@linkcode FaceError} becomes
 * `store_unavailable`, naming the action and the store.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import type { FaceStore } from "../faces/face_store.ts";

/** Wraps a backend failure as `FaceError("store_unavailable")`; FaceErrors pass through. */
export function unavailable(store: FaceStore["kind"], action: string, cause: unknown): FaceError {
  if (cause instanceof FaceError) return cause;
  return new FaceError("store_unavailable", `Cannot ${action}: the ${store} store failed`, {
    cause,
  });
}

/**
 * Runs one backend call, mapping its failures (but not FaceErrors) to `store_unavailable` (see
 * {@linkcode unavailable}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeCall } from "./store_call.ts";
 * await assert.rejects(
 *   storeCall("kv", "read a face", () => Promise.reject(new Error("disk"))),
 *   { code: "store_unavailable", message: "Cannot read a face: the kv store failed" },
 * );
 * ```
 */
export async function storeCall<T>(
  store: FaceStore["kind"],
  action: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw unavailable(store, action, err);
  }
}
