/**
 * The reads of `KvFaceStore`: subjects, pages, collections and the gallery in batches.
 *
 * @module
 */

import type {
  CollectionRef,
  FaceRecord,
  ListSubjectsOptions,
  SubjectPage,
  SubjectRecord,
  SubjectSummary,
} from "./face_store.ts";
import { kvCollectionKeys, SCHEMA_VERSION } from "../keys.ts";
import { mapBatched, OPEN_BATCH } from "../backends/map_batched.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import {
  decodeCursor,
  encodeCursor,
  expiryMs,
  type GalleryBatch,
  type GalleryRow,
  pageLimit,
} from "../_store_common.ts";
import {
  callKv,
  KvFaces,
  LIST_BATCH,
  openStoredEmbedding,
  StoredFace,
  storedFaceRecord,
  SubjectMeta,
} from "./_kv_faces.ts";

/** The subject with its faces (by face id), or null. */
export async function getSubject(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
): Promise<SubjectRecord | null> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const subjectKey = keys.subject(subject);
  const facesPrefix = keys.subjectFaces(subject);
  return await callKv("read a subject", async () => {
    // Read summary, faces, summary again: equal versionstamps mean one consistent snapshot.
    for (let attempt = 0;; attempt++) {
      const [before, dek] = await ctx.kv.getMany<[SubjectMeta, WrappedDataKey]>([
        subjectKey,
        keys.dataKey,
      ]);
      if (before.value === null) return null;
      const faces: FaceRecord[] = [];
      for await (
        const e of ctx.kv.list<StoredFace>({ prefix: facesPrefix }, { batchSize: LIST_BATCH })
      ) {
        const faceId = e.key[e.key.length - 1] as string;
        const record = await storedFaceRecord(ctx, ref, dek.value, subject, faceId, e.value);
        if (record !== null) faces.push(record);
      }
      const after = await ctx.kv.get<SubjectMeta>(subjectKey);
      if (after.versionstamp === before.versionstamp || attempt >= 10) {
        if (after.value === null) return null;
        return { subject, ...after.value, face_count: faces.length, faces };
      }
    }
  });
}

/** Subjects ordered by name, `limit` per page. */
export async function listSubjects(
  ctx: KvFaces,
  ref: CollectionRef,
  options?: ListSubjectsOptions,
): Promise<SubjectPage> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const limit = pageLimit(options);
  const after = decodeCursor(options?.cursor);
  const selector: Deno.KvListSelector = after === undefined
    ? { prefix: keys.subjects }
    : { prefix: keys.subjects, start: [...keys.subjects, after + "\0"] };
  const subjects: SubjectSummary[] = await callKv("list subjects", async () => {
    const out: SubjectSummary[] = [];
    for await (const e of ctx.kv.list<SubjectMeta>(selector, { limit: limit + 1 })) {
      out.push({ subject: e.key[e.key.length - 1] as string, ...e.value });
    }
    return out;
  });
  const more = subjects.length > limit;
  if (more) subjects.pop();
  return {
    subjects,
    next_cursor: more ? encodeCursor(subjects[subjects.length - 1].subject) : null,
  };
}

/**
 * Every collection with a subject under this store's prefix, of every model (two one-key
 * `kv.list` calls per collection: the scan skips over each collection's keys).
 */
export async function listCollections(ctx: KvFaces): Promise<CollectionRef[]> {
  const base = [...ctx.prefix, SCHEMA_VERSION];
  const n = base.length;
  const out: CollectionRef[] = [];
  await callKv("list collections", async () => {
    let selector: Deno.KvListSelector = { prefix: base };
    while (true) {
      let next: Deno.KvKey | null = null;
      for await (const e of ctx.kv.list(selector, { limit: 1 })) {
        const [model, collection] = e.key.slice(n, n + 2);
        if (typeof model !== "string" || typeof collection !== "string") break;
        next = [...base, model, collection + "\0"];
        // Only collections with a subject (idempotency records and audit trails live beside).
        const subjects = { prefix: [...base, model, collection, "s"] };
        for await (const _ of ctx.kv.list(subjects, { limit: 1 })) {
          out.push({ model, collection });
        }
      }
      if (next === null) return;
      selector = { prefix: base, start: next };
    }
  });
  return out;
}

/** The collection's write token (one read), or null when it was never written. */
export async function galleryVersion(ctx: KvFaces, ref: CollectionRef): Promise<string | null> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const entry = await callKv(
    "read the gallery version",
    () => ctx.kv.get<string>(keys.version),
  );
  return entry.value;
}

/**
 * The subjects' expiries first, then the faces `galleryChunk` at a time (one `kv.list` each,
 * resumed from its cursor), each chunk opened as it arrives.
 */
export async function* galleryBatches(
  ctx: KvFaces,
  ref: CollectionRef,
): AsyncIterable<GalleryBatch> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const n = keys.faces.length;
  const expiries = new Map<string, number>();
  const dek = await callKv("read the gallery", async () => {
    for await (
      const e of ctx.kv.list<SubjectMeta>({ prefix: keys.subjects }, { batchSize: LIST_BATCH })
    ) {
      if (e.value.expires_at) {
        expiries.set(e.key[e.key.length - 1] as string, expiryMs(e.value.expires_at));
      }
    }
    return (await ctx.kv.get<WrappedDataKey>(keys.dataKey)).value;
  });
  const chunk = ctx.galleryChunk;
  let cursor: string | undefined;
  do {
    const { entries, next } = await callKv("read the gallery", async () => {
      const list = ctx.kv.list<StoredFace>({ prefix: keys.faces }, {
        batchSize: LIST_BATCH,
        limit: chunk,
        cursor,
      });
      const entries: Deno.KvEntry<StoredFace>[] = [];
      for await (const e of list) entries.push(e);
      return { entries, next: entries.length === chunk ? list.cursor : undefined };
    });
    const opened = await mapBatched(entries, OPEN_BATCH, async (e) => {
      const subject = e.key[n] as string, faceId = e.key[n + 1] as string;
      const embedding = await openStoredEmbedding(ctx, ref, dek, subject, faceId, e.value);
      if (embedding === null) return null;
      const row: GalleryRow = {
        subject,
        faceId,
        embedding,
        createdAt: Date.parse(e.value.created_at),
      };
      return row;
    });
    const rows = opened.filter((r): r is GalleryRow => r !== null);
    yield { rows, expiries };
    cursor = next;
  } while (cursor);
}
