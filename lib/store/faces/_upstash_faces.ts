/**
 * What the parts of {@linkcode UpstashFaceStore} share: its state ({@linkcode UpstashFaces}), the
 * stored record shapes, and the helpers that run scripts, read keys and open stored faces.
 *
 * @module
 */

import type { Redis } from "@upstash/redis";
import type { CollectionRef } from "./face_store.ts";
import {
  galleryRecordCreatedAt,
  unpackGalleryRecord,
  unpackSealedGalleryRecord,
} from "./embedding_codec.ts";
import { RecordSealer } from "../sealing/record_sealer.ts";
import type { WrappedDataKey } from "../sealing/template_cipher.ts";
import { unavailable } from "../backends/store_call.ts";
import { type ScriptName, SCRIPTS } from "./_upstash_face_scripts.ts";

/** A face's JSON in the faces hash; with `k`, `m` is the base64 of the sealed metadata. */
export interface FaceJson {
  q: number;
  c: string;
  k?: string;
  m?: string;
}

/** Parses a stored data key `id.kid.wrapped`; null for none. */
export function parseDataKey(value: string | null | undefined): WrappedDataKey | null {
  if (!value) return null;
  const [id, kid, wrapped] = value.split(".");
  return { id, kid, wrapped };
}

/** The state of one `UpstashFaceStore`, handed to its reads, writes and key maintenance. */
export interface UpstashFaces {
  /** The Redis client. */
  redis: Redis;
  /** String before every key. */
  prefix: string;
  /** Clock of `created_at` / `updated_at`. */
  now: () => Date;
  /** Faces per gallery round trip. */
  galleryBatch: number;
  /** Seals and opens records. */
  sealer: RecordSealer;
  /** Data keys read so far, by collection key. */
  dataKeys: Map<string, WrappedDataKey>;
  /** Scripts loaded so far. */
  scripts: Map<ScriptName, ReturnType<Redis["createScript"]>>;
}

/** Keys under this store's prefix matching `pattern` (SCAN). */
export async function scanKeys(ctx: UpstashFaces, pattern: string): Promise<string[]> {
  const match = ctx.prefix.replace(/[*?[\]\\]/g, "\\$&") + pattern;
  const out: string[] = [];
  let cursor = "0";
  try {
    do {
      const [next, keys] = await ctx.redis.scan(cursor, { match, count: 500 });
      out.push(...keys);
      cursor = String(next);
    } while (cursor !== "0");
  } catch (err) {
    throw unavailable("upstash", "list keys", err);
  }
  return [...new Set(out)];
}

export async function getKey(
  ctx: UpstashFaces,
  key: string,
  action: string,
): Promise<string | null> {
  try {
    const v = await ctx.redis.get<string>(key);
    return v === null || v === undefined ? null : String(v);
  } catch (err) {
    throw unavailable("upstash", action, err);
  }
}

/** The collection's data key, created when there is none (first writer wins). */
export async function dataKeyOf(
  ctx: UpstashFaces,
  ref: CollectionRef,
  key: string,
  reload: boolean,
): Promise<WrappedDataKey> {
  if (!reload) {
    const cached = ctx.dataKeys.get(key);
    if (cached !== undefined) return cached;
  }
  let value: string | null;
  try {
    value = await ctx.redis.get<string>(key);
  } catch (err) {
    throw unavailable("upstash", "read the data key", err);
  }
  if (!value) {
    const w = await ctx.sealer.newDataKey(ref);
    value = String(
      await runScript(ctx, "CREATE_DATA_KEY", "create a data key", [key], [
        `${w.id}.${w.kid}.${w.wrapped}`,
      ]),
    );
  }
  const wrapped = parseDataKey(value)!;
  if (ctx.dataKeys.size >= 1000) ctx.dataKeys.clear();
  ctx.dataKeys.set(key, wrapped);
  return wrapped;
}

/**
 * A gallery row opened: its subject, embedding and (v2 rows) authenticated creation time; null
 * when the row is refused: plain while encryption is on, malformed, not a valid sealed envelope
 * for exactly this face, or (with `expectSubject`, from a subject's faces) sealed for another
 * subject.
 */
export async function openGalleryRow(
  ctx: UpstashFaces,
  ref: CollectionRef,
  dek: WrappedDataKey | null,
  faceId: string,
  packed: string | null,
  expectSubject?: string,
): Promise<{ subject: string; embedding: Float32Array; createdMs: number | null } | null> {
  const sealer = ctx.sealer;
  const where = expectSubject ?? "?";
  if (typeof packed !== "string") return sealer.refuse(ref, where, faceId, "altered");
  let sealed;
  try {
    sealed = unpackSealedGalleryRecord(packed);
    if (sealed === null) {
      const plain = unpackGalleryRecord(packed);
      if (sealer.sealedOnly) return sealer.refuse(ref, plain.subject, faceId, "plain");
      if (expectSubject !== undefined && plain.subject !== expectSubject) {
        return sealer.refuse(ref, where, faceId, "moved");
      }
      return { subject: plain.subject, embedding: plain.embedding, createdMs: null };
    }
  } catch {
    return sealer.refuse(ref, where, faceId, "altered");
  }
  const { subject, keyId } = sealed;
  if (expectSubject !== undefined && subject !== expectSubject) {
    return sealer.refuse(ref, where, faceId, "moved");
  }
  const createdMs = sealed.aad === 2 ? galleryRecordCreatedAt(packed) : null;
  if (sealed.aad === 2 && createdMs === null) {
    return sealer.refuse(ref, subject, faceId, "altered");
  }
  const embedding = await sealer.openEmbedding(
    ref,
    dek,
    subject,
    faceId,
    keyId,
    sealed.sealed,
    createdMs,
  );
  return embedding === null ? null : { subject, embedding, createdMs };
}

export async function runScript(
  ctx: UpstashFaces,
  name: ScriptName,
  action: string,
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  let script = ctx.scripts.get(name);
  if (!script) {
    script = ctx.redis.createScript(SCRIPTS[name]);
    ctx.scripts.set(name, script);
  }
  try {
    return await script.exec(keys, args.map(String));
  } catch (err) {
    throw unavailable("upstash", action, err);
  }
}

/** Whether a gallery row is sealed (a malformed one counts as sealed: it is never plain). */
export function isSealedRow(packed: string): boolean {
  try {
    return unpackSealedGalleryRecord(packed) !== null;
  } catch {
    return true;
  }
}

/** The collection a `...{model|collection}:...` key belongs to. */
export function refOfKey(key: string): CollectionRef {
  const open = key.indexOf("{"), close = key.indexOf("}", open);
  const [model, collection] = key.slice(open + 1, close).split("|");
  return { model, collection };
}
