/**
 * Purge: deletes the faces that may no longer match (older than the collection's retention period,
 * or of an expired subject), one atomic `deleteFace` each, so counts, the gallery and its version
 * stay consistent and nothing is half-deleted; a subject goes with its last face. Like the deletes,
 * it erases the remembered answers of idempotent requests naming a purged face or subject
 * ({@linkcode eraseAnswers}).
 *
 * @module
 */
import { validateName } from "../store/mod.ts";
import { embedderRecipes } from "../../models/manifest.ts";
import { cachedIndex } from "./_cached_index.ts";
import { forCollection, withRecipe } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { readPolicy } from "./match_policy.ts";
import { type Caller } from "./decide_threshold.ts";
import { liveWindow } from "./retention.ts";
import { eraseAnswers } from "./erase_answers.ts";

/** What {@linkcode purgeExpired} deleted in one collection. */
export interface PurgeReport {
  /** The collection. */
  collection: string;
  /** Faces deleted. */
  purged_faces: number;
  /** Subjects deleted (all their faces had expired). */
  purged_subjects: number;
}

/** Deletes run at once by one purge. */
const PARALLEL_DELETES = 8;

/**
 * Deletes a collection's expired faces: those created before now − the collection's retention
 * period, and every face of a subject past its expiry. Reads the collection through the
 * per-isolate gallery cache (a warm index costs one version read), then deletes each expired face
 * atomically. A face enrolled meanwhile is never deleted (only faces of the snapshot are), so a
 * purge may run beside enrolls and other purges: a face already gone is not counted twice.
 * When something was deleted, one audit event `purge_expired` holds the counts (no names, no
 * embeddings).
 *
 * @throws {FaceError} `invalid_request` for a bad name, `store_unavailable`,
 *   `store_key_unavailable`.
 */
export async function purgeExpired(
  deps: UseCaseDeps,
  input: { collection: string; caller?: Caller },
): Promise<PurgeReport> {
  const collection = validateName("collection", input.collection);
  return await purgeAsIs(await forCollection(deps, collection), collection, input.caller);
}

/** {@linkcode purgeExpired} of `collection` under `deps.model` (its recipe already resolved). */
async function purgeAsIs(
  deps: UseCaseDeps,
  collection: string,
  caller: Caller | undefined,
): Promise<PurgeReport> {
  const ref = { model: deps.model, collection };
  const window = liveWindow(deps, await readPolicy(deps, collection));
  const { store } = deps;
  const index = await cachedIndex(deps, ref);
  const expired = index.expiredFaces(window);
  const report: PurgeReport = { collection, purged_faces: 0, purged_subjects: 0 };
  if (expired.length === 0) return report;
  // A subject counts as purged when every face of it was expired and this purge deleted them all.
  const whole = new Map<string, boolean>();
  for (const f of expired) if (f.wholeSubject) whole.set(f.subject, true);
  let next = 0;
  const worker = async () => {
    while (next < expired.length) {
      const f = expired[next++];
      // First: should erasing fail, the face stays for the next purge, which erases again.
      await eraseAnswers(deps, { collection, subject: f.subject, faceId: f.faceId });
      if (await store.deleteFace(ref, f.subject, f.faceId)) report.purged_faces++;
      else if (f.wholeSubject) whole.set(f.subject, false);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DELETES, expired.length) }, worker));
  for (const [subject, purged] of whole) {
    if (!purged) continue;
    report.purged_subjects++;
    // The subject went with its last face (unless re-enrolled meanwhile): answers naming it go too.
    if (deps.idempotency && !(await store.getSubject(ref, subject))) {
      await eraseAnswers(deps, { collection, subject });
    }
  }
  if (report.purged_faces > 0) {
    await deps.audit?.({
      action: "purge_expired",
      key_id: caller?.keyId,
      request_id: caller?.requestId,
      collection,
      purged_faces: report.purged_faces,
      purged_subjects: report.purged_subjects,
      retention_days: Number.isFinite(window.createdSince)
        ? Math.round((window.now - window.createdSince) / 86_400_000)
        : null,
    });
  }
  return report;
}

/** What {@linkcode purgeAllExpired} did: one report per collection, or its error. */
export interface PurgeAllReport {
  /** Collections purged, with their counts. */
  collections: PurgeReport[];
  /** Collections whose purge failed, with the reason (the others still ran). */
  failed: { collection: string; error: string }[];
}

/**
 * Purges every collection of the store stored under one of the manifest's embedder recipes
 * ({@linkcode purgeExpired} each, one after the other), or only `collections` when given. A
 * failure in one collection is reported and the others still run.
 *
 * @throws {FaceError} `store_unavailable` when the collections cannot be listed.
 */
export async function purgeAllExpired(
  deps: UseCaseDeps,
  input: { collections?: string[]; caller?: Caller } = {},
): Promise<PurgeAllReport> {
  const out: PurgeAllReport = { collections: [], failed: [] };
  const run = async (collection: string, purge: () => Promise<PurgeReport>) => {
    try {
      out.collections.push(await purge());
    } catch (err) {
      out.failed.push({ collection, error: err instanceof Error ? err.message : String(err) });
    }
  };
  if (input.collections !== undefined) {
    for (const collection of input.collections) {
      await run(collection, () => purgeExpired(deps, { collection, caller: input.caller }));
    }
    return out;
  }
  const recipes = new Set(embedderRecipes(deps.pipeline.manifest).map((r) => r.id));
  const refs = (await deps.store.listCollections()).filter((r) => recipes.has(r.model))
    .sort((a, b) => a.collection < b.collection ? -1 : a.collection > b.collection ? 1 : 0);
  for (const ref of refs) {
    const resolved = ref.model === deps.model ? deps : withRecipe(deps, ref.model);
    await run(ref.collection, () => purgeAsIs(resolved, ref.collection, input.caller));
  }
  return out;
}
