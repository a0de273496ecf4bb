/**
 * The erasure of remembered answers, shared by every use case that deletes faces (deletes, and
 * any purge): an idempotent request's answer that names a deleted subject or face must go with it.
 *
 * @module
 */
import type { UseCaseDeps } from "./use_case_deps.ts";

/** What was (or is about to be) deleted. */
export interface ErasedTarget {
  /** The collection (validated by the caller). */
  collection: string;
  /** The subject. Default: every subject of the collection. */
  subject?: string;
  /** With `subject`: one face of it. Default: all of the subject's. */
  faceId?: string;
}

/**
 * Erases the remembered answers (`deps.idempotency`) naming the collection's subjects, one
 * subject or one face; nothing without an idempotency store. Call it before deleting (a failure
 * then leaves everything for the retry) and, for subjects and collections, once more after.
 *
 * @returns How many answers were erased.
 * @throws {FaceError} `store_unavailable`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryIdempotencyStore } from "../store/mod.ts";
 * import { eraseAnswers } from "./erase_answers.ts";
 * import type { UseCaseDeps } from "./use_case_deps.ts";
 * const idempotency = new MemoryIdempotencyStore();
 * const ref = { scope: "write", key: "k1" };
 * const claim = await idempotency.claim(ref, "fp", 60_000);
 * assert.ok(claim.claimed);
 * const answer = { status: 201, content_type: "application/json", body: '{"subject":"ann"}' };
 * const subjects = [{ subject: "ann", faces: [] }];
 * await idempotency.complete(ref, claim.token, answer, 60_000, { collection: "c", subjects });
 * const deps = { idempotency } as unknown as UseCaseDeps;
 * assert.equal(await eraseAnswers(deps, { collection: "c", subject: "ann" }), 1);
 * ```
 */
export async function eraseAnswers(deps: UseCaseDeps, target: ErasedTarget): Promise<number> {
  // Not scoped by model: the answers name collections, each of which holds one recipe.
  return await deps.idempotency?.erase(target) ?? 0;
}
