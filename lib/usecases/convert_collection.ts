/**
 * Moves a collection to another embedder recipe in place, when its stored templates map to the
 * other recipe's exactly (v2's 512-d embeddings → v3's 128-d ones through v3's projection). Images
 * are never stored, so this is the only way enrolled people get the smaller templates without
 * enrolling again.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { loadProjection, projectEmbedding } from "../embed/mod.ts";
import { validateName } from "../store/mod.ts";
import { embedderRecipes } from "../../models/manifest.ts";
import { forCollection, forgetCollectionRecipe } from "./for_collection.ts";
import type { Caller } from "./decide_threshold.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { collectionNotFound } from "./_collection_not_found.ts";

/** What to convert. */
export interface ConvertCollectionInput {
  /** Collection name. */
  collection: string;
  /** The target recipe id (e.g. v3's `fr_feature@faceplugin-0.0.1+noflip+p128`). */
  to: string;
  /** Who asks, for the audit event. Default: unknown. */
  caller?: Caller;
}

/** The answer of {@linkcode convertCollection}. */
export interface CollectionConversion {
  collection: string;
  /** The recipe the collection was on. */
  from: string;
  /** The recipe it is on now. */
  to: string;
  /** Subjects and faces moved. */
  subjects: number;
  faces: number;
  /** True when the collection was already on `to` (nothing written). */
  unchanged: boolean;
}

/** Most copy passes before giving up on a collection that keeps being written. */
const MAX_PASSES = 5;

/**
 * Converts `collection` to recipe `to`: every face is written under the new recipe with the same
 * face id, subject, quality, metadata, creation time and subject expiry (sealed again by the store
 * when encryption is on), then the old recipe's copy is deleted. Safe to run again after a crash
 * (face ids make the copy idempotent; until the old copy is gone, readers keep using it). The
 * policy and the audit trail belong to the collection and stay. Audited (`collection_converted`).
 *
 * @throws {FaceError} `invalid_request` for a bad name, an unknown recipe or one the stored
 *   templates cannot be mapped to; `collection_not_found`; `conflict` when writes keep arriving;
 *   `store_unavailable`; `model_unavailable` when the projection cannot be read.
 */
export async function convertCollection(
  deps: UseCaseDeps,
  input: ConvertCollectionInput,
): Promise<CollectionConversion> {
  const collection = validateName("collection", input.collection);
  const recipes = embedderRecipes(
    deps.pipeline.manifest.baseEmbedder ? undefined : deps.pipeline.manifest,
  );
  const target = recipes.find((r) => r.id === input.to);
  if (!target) {
    throw new FaceError(
      "invalid_request",
      `Cannot convert collection: unknown recipe ${input.to}`,
      {
        details: { field: "to", recipes: recipes.map((r) => r.id) },
      },
    );
  }
  forgetCollectionRecipe(deps.store, collection);
  const current = await forCollection(deps, collection);
  const from = recipes.find((r) => r.id === current.model)!;
  const fromRef = { model: from.id, collection };
  const page = await deps.store.listSubjects(fromRef, { limit: 1 });
  if (page.subjects.length === 0) throw collectionNotFound(collection);
  const base = { collection, from: from.id, to: target.id };
  if (from.id === target.id) return { ...base, subjects: 0, faces: 0, unchanged: true };
  const p = target.projection;
  if (!p || from.projection || from.flip !== target.flip || from.embedder !== target.embedder) {
    throw new FaceError(
      "invalid_request",
      `Cannot convert collection ${collection} from ${from.id} to ${target.id}: its templates do ` +
        "not map to that recipe (images are never stored; enroll the people again instead)",
      { details: { from: from.id, to: target.id } },
    );
  }
  const map = await loadProjection(deps.pipeline.sessions, p);
  const toRef = { model: target.id, collection };
  const moved = new Set<string>();
  const subjects = new Set<string>();
  for (let pass = 0;; pass++) {
    if (pass >= MAX_PASSES) {
      throw new FaceError(
        "conflict",
        `Cannot convert collection ${collection}: it kept being written during ${MAX_PASSES} passes`,
      );
    }
    const version = await deps.store.galleryVersion?.(fromRef);
    let copied = 0;
    let cursor: string | undefined;
    do {
      const list = await deps.store.listSubjects(fromRef, { limit: 1000, cursor });
      for (const summary of list.subjects) {
        const record = await deps.store.getSubject(fromRef, summary.subject);
        if (!record) continue;
        for (const face of record.faces) {
          if (moved.has(face.id)) continue;
          await deps.store.addFace(toRef, record.subject, {
            embedding: projectEmbedding(face.embedding, map),
            quality: face.quality,
            metadata: face.metadata,
            id: face.id,
            createdAt: face.created_at,
            ...(record.expires_at ? { expiresAt: record.expires_at } : {}),
          });
          moved.add(face.id);
          subjects.add(record.subject);
          copied++;
        }
      }
      cursor = list.next_cursor ?? undefined;
    } while (cursor);
    // Nothing new and no write since the pass began: the old copy can go.
    const after = await deps.store.galleryVersion?.(fromRef);
    if (copied === 0 || (version !== undefined && version === after)) break;
  }
  await deps.store.deleteCollection(fromRef);
  forgetCollectionRecipe(deps.store, collection);
  await deps.audit?.({
    action: "collection_converted",
    key_id: input.caller?.keyId,
    request_id: input.caller?.requestId,
    collection,
    from: from.id,
    to: target.id,
    subjects: subjects.size,
    faces: moved.size,
  });
  return { ...base, subjects: subjects.size, faces: moved.size, unchanged: false };
}
