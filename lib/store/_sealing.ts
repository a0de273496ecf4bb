/**
 * Private helper of the Deno KV and Upstash stores: seals and opens face records with the
 * collection's data key ({@linkcode TemplateCipher}), caching unwrapped data keys per isolate.
 * With encryption `"off"` (tests only) records are written plain, as before encryption existed;
 * plain records written by earlier versions are always readable, so stores can be migrated in
 * place (`deno task keys migrate`).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { CollectionRef } from "./face_store.ts";
import type { MasterKeyring } from "./master_keyring.ts";
import { type DataKey, TemplateCipher, type WrappedDataKey } from "./template_cipher.ts";
import { decodeEmbedding, encodeEmbedding } from "./embedding_codec.ts";

/** How a store protects records: a master keyring, or `"off"` (plain records; tests only). */
export type StoreEncryption = MasterKeyring | "off";

/** A face's sealed parts. */
export interface SealedFace {
  /** Id of the data key that sealed it. */
  k: string;
  /** Sealed float32 LE embedding bytes. */
  embedding: Uint8Array;
  /** Sealed metadata JSON, when there is metadata. */
  metadata?: Uint8Array;
}

const MAX_CACHED_KEYS = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Seals and opens face records of one store. */
export class RecordSealer {
  /** The cipher, or null with encryption off. */
  readonly cipher: TemplateCipher | null;
  #keys = new Map<string, Promise<DataKey>>();

  /** @param encryption A master keyring, or `"off"`. */
  constructor(encryption: StoreEncryption | undefined) {
    if (encryption === undefined) {
      throw new TypeError(
        'A Deno KV or Upstash face store needs options.encryption: a MasterKeyring, or "off" (tests)',
      );
    }
    this.cipher = encryption === "off" ? null : new TemplateCipher(encryption);
  }

  /** The data key scope (wrapping AAD) of a collection. */
  scope(ref: CollectionRef): string {
    return `${ref.model}|${ref.collection}`;
  }

  /** A new data key for `ref`, cached. Requires encryption on. */
  async newDataKey(ref: CollectionRef): Promise<WrappedDataKey> {
    const { dataKey, wrapped } = await this.#cipher().createDataKey(this.scope(ref));
    this.#remember(ref, wrapped, Promise.resolve(dataKey));
    return wrapped;
  }

  /** Unwraps a stored data key of `ref` (cached per isolate). */
  dataKey(ref: CollectionRef, wrapped: WrappedDataKey): Promise<DataKey> {
    const id = `${this.scope(ref)}|${wrapped.id}|${wrapped.kid}|${wrapped.wrapped}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      key = this.#cipher().unwrap(this.scope(ref), wrapped);
      this.#remember(ref, wrapped, key);
    }
    return key;
  }

  /** Seals an embedding and optional metadata JSON for face `faceId` of `subject`. */
  async sealFace(
    dataKey: DataKey,
    ref: CollectionRef,
    subject: string,
    faceId: string,
    embedding: Float32Array,
    metadataJson: string | undefined,
  ): Promise<SealedFace> {
    const cipher = this.#cipher();
    const aad = faceAad(ref, subject, faceId);
    const out: SealedFace = {
      k: dataKey.id,
      embedding: await cipher.seal(dataKey, aad + "|embedding", encodeEmbedding(embedding)),
    };
    if (metadataJson !== undefined) {
      out.metadata = await cipher.seal(dataKey, aad + "|metadata", encoder.encode(metadataJson));
    }
    return out;
  }

  /**
   * Opens a sealed embedding.
   *
   * @param wrapped The collection's data key as stored (null when it is missing).
   * @throws {FaceError} `store_key_unavailable` when the key is missing or wrong, or the record
   *   was altered or moved.
   */
  async openEmbedding(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
    sealed: Uint8Array,
  ): Promise<Float32Array> {
    const dataKey = await this.#keyFor(ref, wrapped, subject, faceId, k);
    const what = `the embedding of face ${faceId} of subject "${subject}"`;
    const aad = faceAad(ref, subject, faceId) + "|embedding";
    return decodeEmbedding(await this.#cipher().open(dataKey, aad, sealed, what));
  }

  /** Opens sealed metadata JSON; errors as {@linkcode openEmbedding}. */
  async openMetadata(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
    sealed: Uint8Array,
  ): Promise<string> {
    const dataKey = await this.#keyFor(ref, wrapped, subject, faceId, k);
    const what = `the metadata of face ${faceId} of subject "${subject}"`;
    const aad = faceAad(ref, subject, faceId) + "|metadata";
    return decoder.decode(await this.#cipher().open(dataKey, aad, sealed, what));
  }

  async #keyFor(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
  ): Promise<DataKey> {
    if (this.cipher === null) {
      throw new FaceError(
        "store_key_unavailable",
        `Cannot read face ${faceId} of subject "${subject}": it is sealed with data key ${k} ` +
          "but encryption is off (FACEGATE_ENCRYPTION=off)",
        { details: { key_id: k } },
      );
    }
    if (wrapped === null || wrapped.id !== k) {
      throw new FaceError(
        "store_key_unavailable",
        `Cannot read face ${faceId} of subject "${subject}": its data key ${k} is not the ` +
          `collection's (${wrapped === null ? "none stored" : wrapped.id})`,
        { details: { key_id: k } },
      );
    }
    return await this.dataKey(ref, wrapped);
  }

  /**
   * The cipher, for maintenance tasks.
   *
   * @throws {FaceError} `invalid_request` with encryption off.
   */
  require(action: string): TemplateCipher {
    if (this.cipher === null) {
      throw new FaceError(
        "invalid_request",
        `Cannot ${action}: encryption is off (set FACEGATE_MASTER_KEY, unset FACEGATE_ENCRYPTION)`,
      );
    }
    return this.cipher;
  }

  #cipher(): TemplateCipher {
    if (this.cipher === null) throw new TypeError("RecordSealer: encryption is off");
    return this.cipher;
  }

  #remember(ref: CollectionRef, wrapped: WrappedDataKey, key: Promise<DataKey>): void {
    if (this.#keys.size >= MAX_CACHED_KEYS) this.#keys.clear();
    const id = `${this.scope(ref)}|${wrapped.id}|${wrapped.kid}|${wrapped.wrapped}`;
    this.#keys.set(id, key);
    key.catch(() => this.#keys.delete(id));
  }
}

/**
 * Maps `items` through async `fn` with at most `limit` calls in flight, keeping order. Opening a
 * whole gallery at once would queue one WebCrypto job per face (100k pending jobs and buffers);
 * small batches are as fast and bound memory.
 */
export async function mapBatched<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  for (let i = 0; i < items.length; i += limit) {
    const part = await Promise.all(items.slice(i, i + limit).map(fn));
    for (let j = 0; j < part.length; j++) out[i + j] = part[j];
  }
  return out;
}

/** How many records a gallery read opens at once (see {@linkcode mapBatched}). */
export const OPEN_BATCH = 64;

/** The AAD of a face's records: binds collection, subject and face id. */
function faceAad(ref: CollectionRef, subject: string, faceId: string): string {
  return `facegate/face/v1|${ref.model}|${ref.collection}|${subject}|${faceId}`;
}
