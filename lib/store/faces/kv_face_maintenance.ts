/**
 * Key maintenance of `KvFaceStore` (see `KeyMaintenance`): rotate the master key, count, seal
 * and re-seal records.
 *
 * @module
 */

import type { CollectionRef } from "./face_store.ts";
import { kvCollectionKeys, SCHEMA_VERSION } from "../keys.ts";
import { decodeEmbedding } from "./embedding_codec.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import type { RotationReport } from "../sealing/key_maintenance.ts";
import {
  backoff,
  callKv,
  commit,
  contended,
  KvFaces,
  LIST_BATCH,
  StoredFace,
} from "./_kv_faces.ts";

/** Re-wraps every collection's data key with the newest master key (see `KeyMaintenance`). */
export async function rotateMasterKey(ctx: KvFaces): Promise<RotationReport> {
  const cipher = ctx.sealer.require("rotate the master key");
  const prefix = [...ctx.prefix, "dek", SCHEMA_VERSION];
  const report = { collections: 0, rewrapped: 0, master_key_id: cipher.keyring.newest.id };
  const keys: Deno.KvKey[] = [];
  await callKv("rotate the master key", async () => {
    for await (const e of ctx.kv.list({ prefix })) keys.push(e.key);
  });
  for (const key of keys) {
    const [model, collection] = key.slice(prefix.length) as string[];
    const scope = ctx.sealer.scope({ model, collection });
    for (let attempt = 0;; attempt++) {
      const entry = await callKv(
        "rotate the master key",
        () => ctx.kv.get<WrappedDataKey>(key),
      );
      if (entry.value === null) break;
      if (attempt === 0) report.collections++;
      const next = await cipher.rewrap(scope, entry.value);
      if (next === null) break;
      const ok = await callKv(
        "rotate the master key",
        () => commit(ctx.kv.atomic().check(entry).set(key, next)),
      );
      if (ok) {
        report.rewrapped++;
        break;
      }
      if (attempt >= ctx.maxAttempts) throw contended("rotate the master key", collection);
      await backoff(attempt);
    }
  }
  return report;
}

/** Counts the plain face records, which sealed-only reads refuse (see `KeyMaintenance`). */
export async function countPlainRecords(ctx: KvFaces): Promise<number> {
  return (await plainKeys(ctx, "count plain records")).length;
}

/** Keys of every plain face record under this store's prefix (one scan of the faces). */
export async function plainKeys(ctx: KvFaces, action: string): Promise<Deno.KvKey[]> {
  const base = [...ctx.prefix, SCHEMA_VERSION];
  const n = base.length;
  const plain: Deno.KvKey[] = [];
  await callKv(action, async () => {
    for await (
      const e of ctx.kv.list<StoredFace>({ prefix: base }, { batchSize: LIST_BATCH })
    ) {
      // Faces are [...base, model, collection, "f", subject, faceId].
      if (e.key.length === n + 5 && e.key[n + 2] === "f" && e.value?.k === undefined) {
        plain.push(e.key);
      }
    }
  });
  return plain;
}

/** Seals every plain face record in place (see `KeyMaintenance`). */
export async function sealPlainRecords(ctx: KvFaces): Promise<number> {
  ctx.sealer.require("seal plain records");
  const n = ctx.prefix.length + 1;
  const plain = await plainKeys(ctx, "seal plain records");
  let sealedCount = 0;
  for (const key of plain) {
    const [model, collection, , subject, faceId] = key.slice(n) as string[];
    if (await sealOne(ctx, { model, collection }, subject, faceId)) sealedCount++;
  }
  return sealedCount;
}

/** Re-seals every v1-AAD embedding with the v2 AAD (see `KeyMaintenance`). */
export async function resealLegacyRecords(ctx: KvFaces): Promise<number> {
  ctx.sealer.require("re-seal records");
  const base = [...ctx.prefix, SCHEMA_VERSION];
  const n = base.length;
  const legacy: Deno.KvKey[] = [];
  await callKv("re-seal records", async () => {
    for await (
      const e of ctx.kv.list<StoredFace>({ prefix: base }, { batchSize: LIST_BATCH })
    ) {
      if (
        e.key.length === n + 5 && e.key[n + 2] === "f" && e.value?.k !== undefined &&
        e.value.a !== 2
      ) legacy.push(e.key);
    }
  });
  let count = 0;
  for (const key of legacy) {
    const [model, collection, , subject, faceId] = key.slice(n) as string[];
    if (await resealOne(ctx, { model, collection }, subject, faceId)) count++;
  }
  return count;
}

/** Re-seals one v1 face under the v2 AAD; false when it is gone, v2, or does not open. */
export function resealOne(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  faceId: string,
): Promise<boolean> {
  const sealer = ctx.sealer;
  return rewriteFace(ctx, ref, subject, faceId, "re-seal records", async (f, dek) => {
    if (f.k === undefined || f.a === 2 || dek === null) return null;
    const embedding = await sealer.openEmbedding(ref, dek, subject, faceId, f.k, f.sealed!, null);
    if (embedding === null) return null;
    const createdMs = Date.parse(f.created_at);
    if (!Number.isFinite(createdMs)) return null;
    const dataKey = await sealer.dataKey(ref, dek);
    const sealed = await sealer.sealFace(
      dataKey,
      ref,
      subject,
      faceId,
      embedding,
      undefined,
      createdMs,
    );
    return { face: { ...f, sealed: sealed.embedding, a: sealed.aad } };
  });
}

/** Seals one plain face; false when it is gone or already sealed. */
export function sealOne(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  faceId: string,
): Promise<boolean> {
  const sealer = ctx.sealer;
  return rewriteFace(ctx, ref, subject, faceId, "seal plain records", async (f, dek) => {
    if (f.k !== undefined) return null;
    const wrapped = dek ?? await sealer.newDataKey(ref);
    const sealed = await sealer.sealFace(
      await sealer.dataKey(ref, wrapped),
      ref,
      subject,
      faceId,
      decodeEmbedding(f.embedding!),
      f.metadata as string | undefined,
      Date.parse(f.created_at),
    );
    const face: StoredFace = {
      sealed: sealed.embedding,
      k: sealed.k,
      a: sealed.aad,
      quality: f.quality,
      created_at: f.created_at,
    };
    if (sealed.metadata !== undefined) face.metadata = sealed.metadata;
    return { face, newDataKey: dek === null ? wrapped : undefined };
  });
}

/**
 * Reads one face and its collection's data key, lets `change` compute the face's new record (and
 * the data key to create, if any), and commits it guarded by both reads; retried on contention.
 * False when the face is gone or `change` declines (null).
 */
async function rewriteFace(
  ctx: KvFaces,
  ref: CollectionRef,
  subject: string,
  faceId: string,
  action: string,
  change: (
    face: StoredFace,
    dek: WrappedDataKey | null,
  ) => Promise<{ face: StoredFace; newDataKey?: WrappedDataKey } | null>,
): Promise<boolean> {
  const keys = kvCollectionKeys(ref, ctx.prefix);
  const faceKey = keys.face(subject, faceId);
  for (let attempt = 0; attempt < ctx.maxAttempts; attempt++) {
    const [face, dek] = await callKv(
      action,
      () => ctx.kv.getMany<[StoredFace, WrappedDataKey]>([faceKey, keys.dataKey]),
    );
    if (face.value === null) return false;
    const next = await change(face.value, dek.value);
    if (next === null) return false;
    const op = ctx.kv.atomic().check(face, dek).set(faceKey, next.face);
    if (next.newDataKey) op.set(keys.dataKey, next.newDataKey);
    if (await callKv(action, () => commit(op))) return true;
    await backoff(attempt);
  }
  throw contended(action, subject);
}
