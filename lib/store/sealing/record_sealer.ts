/**
 * Private helper of the Deno KV and Upstash stores: seals and opens face records with the
 * collection's data key ({@linkcode TemplateCipher}), caching unwrapped data keys per isolate.
 * With encryption `"off"` (tests only) records are written plain, as before encryption existed.
 * With encryption on, reads are sealed-only: a record that is not a valid sealed envelope for
 * exactly its place (plain, sealed with another data key, altered or moved) is refused — never
 * returned, counted in `refused` and reported to `onRefused` — and only
 * `deno task keys encrypt-existing` makes plain records usable again (it seals them in place).
 * Problems with the keys themselves (master key not configured, data key missing) still throw
 * `store_key_unavailable`: a wrong key must never look like "nobody matched".
 *
 * AAD versions of the sealed embedding: v1 binds model, collection, subject and face id; v2 (every
 * record written since) also binds the face's creation time (ms), which drives retention, so a
 * store writer cannot make a face younger. v1 records stay readable.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import type { CollectionRef } from "../faces/face_store.ts";
import type { MasterKeyring } from "./master_keyring.ts";
import { type DataKey, TemplateCipher, type WrappedDataKey } from "./template_cipher.ts";
import { decodeEmbedding, encodeEmbedding } from "../faces/embedding_codec.ts";
import { embeddingAad, faceAad } from "./_aad.ts";

/**
 * How a store protects records: a master keyring; `"off"` (plain records; tests only); or
 * `"no_key"`: encryption on but no master key given (what `openBackend` assumes unless told):
 * nothing can be sealed or opened (`store_key_unavailable`) and plain records are refused.
 */
export type StoreEncryption = MasterKeyring | "off" | "no_key";

/** Why a record was refused (see {@linkcode RecordSealer.refuse}). */
export type RefusedReason = "plain" | "foreign_key" | "altered" | "moved";

/** A refused record, as reported to {@linkcode RecordSealerOptions.onRefused}. */
export interface RefusedRecord {
  model: string;
  collection: string;
  subject: string;
  face_id: string;
  /**
   * `plain`: not sealed while encryption is on; `foreign_key`: sealed with a data key that is not
   * the collection's; `altered`: does not open (changed, or moved from another place); `moved`:
   * listed under another subject than the one it is sealed for.
   */
  reason: RefusedReason;
  /** Records refused by this store since it was opened. */
  refused_total: number;
}

/** Options of {@linkcode RecordSealer}. */
export interface RecordSealerOptions {
  /** Called for each refused record (the server logs it). Default: nothing (still counted). */
  onRefused?: (record: RefusedRecord) => void;
}

/** A face's sealed parts. */
export interface SealedFace {
  /** Id of the data key that sealed it. */
  k: string;
  /** Sealed float32 LE embedding bytes. */
  embedding: Uint8Array;
  /** Sealed metadata JSON, when there is metadata. */
  metadata?: Uint8Array;
  /** AAD version of the embedding: always 2 (binds the creation time). */
  aad: 2;
}

const MAX_CACHED_KEYS = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Seals and opens face records of one store. */
export class RecordSealer {
  /** The cipher, or null with encryption off. */
  readonly cipher: TemplateCipher | null;
  #keys = new Map<string, Promise<DataKey>>();
  #onRefused: ((record: RefusedRecord) => void) | undefined;
  #noKey: boolean;
  /** Records refused since this sealer was created (see the module doc). */
  refused = 0;

  /**
   * @param encryption A master keyring, or `"off"`.
   * @param options See {@linkcode RecordSealerOptions}.
   */
  constructor(encryption: StoreEncryption | undefined, options: RecordSealerOptions = {}) {
    this.#onRefused = options.onRefused;
    if (encryption === undefined) {
      throw new TypeError(
        'A Deno KV or Upstash face store needs options.encryption: a MasterKeyring, or "off" (tests)',
      );
    }
    this.#noKey = encryption === "no_key";
    this.cipher = encryption === "off" || encryption === "no_key"
      ? null
      : new TemplateCipher(encryption);
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

  /** Whether reads are sealed-only (encryption on). */
  get sealedOnly(): boolean {
    return this.cipher !== null || this.#noKey;
  }

  /**
   * Counts and reports a refused record.
   *
   * @returns null, for `return sealer.refuse(...)` in readers.
   */
  refuse(ref: CollectionRef, subject: string, faceId: string, reason: RefusedReason): null {
    this.refused++;
    this.#onRefused?.({
      model: ref.model,
      collection: ref.collection,
      subject,
      face_id: faceId,
      reason,
      refused_total: this.refused,
    });
    return null;
  }

  /**
   * Seals an embedding (AAD v2: with its creation time) and optional metadata JSON for face
   * `faceId` of `subject`.
   *
   * @param createdMs The face's creation time in ms (what retention reads); bound into the AAD.
   */
  async sealFace(
    dataKey: DataKey,
    ref: CollectionRef,
    subject: string,
    faceId: string,
    embedding: Float32Array,
    metadataJson: string | undefined,
    createdMs: number,
  ): Promise<SealedFace> {
    const cipher = this.#cipher();
    const aad = faceAad(ref, subject, faceId);
    const out: SealedFace = {
      k: dataKey.id,
      embedding: await cipher.seal(
        dataKey,
        embeddingAad(ref, subject, faceId, createdMs),
        encodeEmbedding(embedding),
      ),
      aad: 2,
    };
    if (metadataJson !== undefined) {
      out.metadata = await cipher.seal(dataKey, aad + "|metadata", encoder.encode(metadataJson));
    }
    return out;
  }

  /**
   * Opens a sealed embedding, or refuses it (see the module doc).
   *
   * @param wrapped The collection's data key as stored (null when it is missing).
   * @param createdMs The creation time bound into the AAD (v2 records), or null for a v1 record.
   * @returns The embedding, or null when the record is refused (counted and reported).
   * @throws {FaceError} `store_key_unavailable` when encryption is off, the collection has no data
   *   key, or its data key cannot be unwrapped (the master key is missing or wrong).
   */
  async openEmbedding(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
    sealed: Uint8Array,
    createdMs: number | null,
  ): Promise<Float32Array | null> {
    const dataKey = await this.#keyFor(ref, wrapped, subject, faceId, k);
    if (dataKey === null) return this.refuse(ref, subject, faceId, "foreign_key");
    const what = `the embedding of face ${faceId} of subject "${subject}"`;
    const aad = createdMs === null
      ? faceAad(ref, subject, faceId) + "|embedding"
      : embeddingAad(ref, subject, faceId, createdMs);
    try {
      return decodeEmbedding(await this.#cipher().open(dataKey, aad, sealed, what));
    } catch {
      return this.refuse(ref, subject, faceId, "altered");
    }
  }

  /** Opens sealed metadata JSON, or refuses it (null); errors as {@linkcode openEmbedding}. */
  async openMetadata(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
    sealed: Uint8Array,
  ): Promise<string | null> {
    const dataKey = await this.#keyFor(ref, wrapped, subject, faceId, k);
    if (dataKey === null) return this.refuse(ref, subject, faceId, "foreign_key");
    const what = `the metadata of face ${faceId} of subject "${subject}"`;
    const aad = faceAad(ref, subject, faceId) + "|metadata";
    try {
      return decoder.decode(await this.#cipher().open(dataKey, aad, sealed, what));
    } catch {
      return this.refuse(ref, subject, faceId, "altered");
    }
  }

  async #keyFor(
    ref: CollectionRef,
    wrapped: WrappedDataKey | null,
    subject: string,
    faceId: string,
    k: string,
  ): Promise<DataKey | null> {
    if (this.#noKey) throw noMasterKey();
    if (this.cipher === null) {
      throw new FaceError(
        "store_key_unavailable",
        `Cannot read face ${faceId} of subject "${subject}": it is sealed with data key ${k} ` +
          "but encryption is off (FACEGATE_ENCRYPTION=off)",
        { details: { key_id: k } },
      );
    }
    if (wrapped === null) {
      throw new FaceError(
        "store_key_unavailable",
        `Cannot read face ${faceId} of subject "${subject}": it is sealed with data key ${k} but ` +
          "the collection has no data key stored",
        { details: { key_id: k } },
      );
    }
    if (wrapped.id !== k) return null;
    return await this.dataKey(ref, wrapped);
  }

  /**
   * The cipher, for maintenance tasks.
   *
   * @throws {FaceError} `invalid_request` with encryption off.
   */
  require(action: string): TemplateCipher {
    if (this.cipher === null) {
      if (this.#noKey) {
        throw new FaceError(
          "invalid_request",
          `Cannot ${action}: no master key is configured (set FACEGATE_MASTER_KEY)`,
        );
      }
      throw new FaceError(
        "invalid_request",
        `Cannot ${action}: encryption is off (set FACEGATE_MASTER_KEY, unset FACEGATE_ENCRYPTION)`,
      );
    }
    return this.cipher;
  }

  #cipher(): TemplateCipher {
    if (this.#noKey) throw noMasterKey();
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

function noMasterKey(): FaceError {
  return new FaceError(
    "store_key_unavailable",
    "Cannot seal or open face records: encryption at rest is on but no master key is configured " +
      "(set FACEGATE_MASTER_KEY; FACEGATE_ENCRYPTION=off stores plain text, tests only)",
  );
}
