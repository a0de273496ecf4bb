/**
 * Reading and deleting what is enrolled: list subjects, get a subject (faces without embeddings),
 * delete a subject, one face or a whole collection.
 *
 * A delete also erases the remembered answers of idempotent requests that name what it deletes
 * (`deps.idempotency`): first, so that a failure leaves everything for the retry, and once more
 * after the faces are gone, for an answer completed while the delete ran (an enroll in flight).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { type AuditPage, type SubjectPage, validateName } from "../store/mod.ts";
import { embedderRecipes } from "../../models/manifest.ts";
import { forCollection } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { Caller } from "./decide_threshold.ts";
import { eraseAnswers } from "./erase_answers.ts";

/** Which page of subjects. */
export interface ListSubjectsInput {
  /** Collection name. */
  collection: string;
  /** Page size 1..1000 (`NaN` for an unreadable value). Default: 100. */
  limit?: number;
  /** `next_cursor` of the previous page. Default: the first page. */
  cursor?: string;
}

/**
 * Subjects ordered by name, one page at a time.
 *
 * @throws {FaceError} `invalid_request` for a bad name, limit or cursor; `store_unavailable`.
 */
export async function listSubjects(
  deps: UseCaseDeps,
  input: ListSubjectsInput,
): Promise<SubjectPage> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const { limit } = input;
  if (limit !== undefined && !(limit >= 1 && limit <= 1000)) {
    throw new FaceError("invalid_request", "Cannot list subjects: limit must be in 1..1000", {
      details: { field: "limit" },
    });
  }
  return await deps.store.listSubjects({ model: deps.model, collection }, {
    limit,
    cursor: input.cursor,
  });
}

/** A subject with its faces, never embeddings. */
export interface SubjectView {
  subject: string;
  created_at: string;
  updated_at: string;
  face_count: number;
  /** When the subject expires (its faces no longer match), when it does. */
  expires_at?: string;
  faces: {
    face_id: string;
    quality: number;
    created_at: string;
    metadata?: Record<string, unknown>;
  }[];
}

/**
 * The subject and its faces (ids, quality, metadata), and its expiry when it has one. Faces past
 * the retention period are listed until a purge deletes them.
 *
 * @throws {FaceError} `invalid_request`, `subject_not_found`, `store_unavailable`.
 */
export async function getSubject(
  deps: UseCaseDeps,
  input: { collection: string; subject: string },
): Promise<SubjectView> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  const record = await deps.store.getSubject({ model: deps.model, collection }, subject);
  if (!record) throw subjectNotFound(subject);
  const { faces, ...summary } = record;
  return {
    ...summary,
    faces: faces.map((f) => ({
      face_id: f.id,
      quality: f.quality,
      created_at: f.created_at,
      ...(f.metadata === undefined ? {} : { metadata: f.metadata }),
    })),
  };
}

/**
 * Deletes the subject and all its faces.
 *
 * @throws {FaceError} `invalid_request`, `subject_not_found`, `store_unavailable`.
 */
export async function deleteSubject(
  deps: UseCaseDeps,
  input: { collection: string; subject: string; caller?: Caller },
): Promise<void> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  await eraseAnswers(deps, { collection, subject });
  if (!(await deps.store.deleteSubject({ model: deps.model, collection }, subject))) {
    throw subjectNotFound(subject);
  }
  await eraseAnswers(deps, { collection, subject });
  await deps.audit?.({ action: "delete_subject", ...who(input.caller), collection, subject });
}

/**
 * Deletes one face; the subject goes with its last face.
 *
 * @throws {FaceError} `invalid_request`, `face_not_found`, `store_unavailable`.
 */
export async function deleteFace(
  deps: UseCaseDeps,
  input: { collection: string; subject: string; faceId: string; caller?: Caller },
): Promise<void> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  const faceId = validateName("face id", input.faceId);
  await eraseAnswers(deps, { collection, subject, faceId });
  const ref = { model: deps.model, collection };
  if (!(await deps.store.deleteFace(ref, subject, faceId))) {
    throw new FaceError("face_not_found", `Cannot find face ${faceId} of subject ${subject}`, {
      details: { subject, face_id: faceId },
    });
  }
  // The subject went with its last face: every answer naming it goes too.
  if (deps.idempotency && !(await deps.store.getSubject(ref, subject))) {
    await eraseAnswers(deps, { collection, subject });
  }
  await deps.audit?.({
    action: "delete_face",
    ...who(input.caller),
    collection,
    subject,
    face_id: faceId,
  });
}

/**
 * Deletes every subject and face of a collection. Collections exist while they hold faces, so an
 * empty or unknown collection is `not_found`.
 *
 * @returns The collection and the number of faces removed.
 * @throws {FaceError} `invalid_request`, `not_found`, `store_unavailable`.
 */
export async function deleteCollection(
  deps: UseCaseDeps,
  input: { collection: string; caller?: Caller },
): Promise<{ collection: string; deleted_faces: number }> {
  const collection = validateName("collection", input.collection);
  // Under every recipe: a collection keeps one, but nothing of it may survive its deletion.
  await eraseAnswers(deps, { collection });
  let deleted = 0;
  for (const recipe of embedderRecipes(deps.pipeline.manifest)) {
    deleted += await deps.store.deleteCollection({ model: recipe.id, collection });
  }
  await eraseAnswers(deps, { collection });
  if (deleted === 0) {
    throw new FaceError("not_found", `Cannot find collection ${collection}: it holds no faces`);
  }
  await deps.audit?.({
    action: "delete_collection",
    ...who(input.caller),
    collection,
    deleted_faces: deleted,
  });
  return { collection, deleted_faces: deleted };
}

function subjectNotFound(subject: string): FaceError {
  return new FaceError("subject_not_found", `Cannot find subject ${subject}`, {
    details: { subject },
  });
}

function who(caller: Caller | undefined): { key_id?: string; request_id?: string } {
  return { key_id: caller?.keyId, request_id: caller?.requestId };
}

/** Which page of audit events. */
export interface ListAuditInput {
  /** Collection name. */
  collection: string;
  /** Page size 1..1000. Default: 100. */
  limit?: number;
  /** `next_cursor` of the previous page. Default: the newest events. */
  cursor?: string;
}

/**
 * The collection's audit events, newest first (enrolls, deletes, policy changes, loosened
 * decisions), kept for the configured time.
 *
 * @throws {FaceError} `invalid_request` for a bad name, limit or cursor; `store_unavailable`.
 */
export async function listAudit(deps: UseCaseDeps, input: ListAuditInput): Promise<AuditPage> {
  const collection = validateName("collection", input.collection);
  const limit = input.limit ?? 100;
  if (!(limit >= 1 && limit <= 1000)) {
    throw new FaceError("invalid_request", "Cannot list audit events: limit must be in 1..1000", {
      details: { field: "limit" },
    });
  }
  if (!deps.audits) return { events: [], next_cursor: null };
  // Audit events are kept under the weights' id, whatever the collection's recipe.
  const ref = { model: deps.pipeline.manifest.embedder.id, collection };
  return await deps.audits.list(ref, { limit, cursor: input.cursor });
}
