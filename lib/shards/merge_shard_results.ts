import type { GalleryCandidate } from "../match/mod.ts";

/** One shard's answer to a search. */
export interface ShardResult {
  /** Faces the shard holds. */
  faces: number;
  /** Its `k` nearest subjects, nearest first. */
  candidates: GalleryCandidate[];
}

/**
 * Merges the shards' top-k into the gallery's top-k, exactly as one index over all faces would
 * rank them: by similarity (the int8 dot product, identical in every shard for one probe), ties by
 * subject name. A subject lives in one shard, so no subject appears twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeShardResults } from "./merge_shard_results.ts";
 * const c = (subject: string, similarity: number) => ({ subject, similarity, distance: Math.sqrt(2 - 2 * similarity), face_id: subject });
 * const merged = mergeShardResults([
 *   { faces: 2, candidates: [c("b", 0.5), c("d", 0.1)] },
 *   { faces: 3, candidates: [c("a", 0.5), c("c", 0.3)] },
 * ], 3);
 * assert.deepEqual(merged.candidates.map((x) => x.subject), ["a", "b", "c"]);
 * assert.equal(merged.faces, 5);
 * ```
 */
export function mergeShardResults(results: ShardResult[], k: number): ShardResult {
  const all = results.flatMap((r) => r.candidates);
  all.sort((x, y) =>
    y.similarity - x.similarity || (x.subject < y.subject ? -1 : x.subject > y.subject ? 1 : 0)
  );
  return { faces: results.reduce((s, r) => s + r.faces, 0), candidates: all.slice(0, k) };
}
