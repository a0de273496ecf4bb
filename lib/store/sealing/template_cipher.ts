/**
 * Envelope encryption of stored templates with AES-256-GCM (WebCrypto, so it runs on Deno and
 * workerd alike). Every collection has a random 256-bit data key; the data key is stored only
 * wrapped (encrypted) by a master key from the {@linkcode MasterKeyring}. Records are sealed with
 * the data key and additional authenticated data (AAD) naming where they belong, so a ciphertext
 * copied to another collection, subject or face fails to open.
 *
 * Formats: a sealed record is `iv (12 bytes) | ciphertext | tag (16 bytes)`; a wrapped data key
 * is `{id, kid, wrapped}` with `wrapped` the base64 of the same layout over the 32 key bytes.
 *
 * @module
 */
import { FaceError } from "../../errors.ts";
import type { MasterKeyring } from "./master_keyring.ts";
import { encodeHex } from "../../encoding/mod.ts";

/** A data key as stored: wrapped by master key `kid`. */
export interface WrappedDataKey {
  /** Random id of the data key (16 hex digits); sealed records carry it. */
  id: string;
  /** Id of the master key that wraps it. */
  kid: string;
  /** Base64 of `iv | AES-GCM(master, data key bytes) | tag`. */
  wrapped: string;
}

/** An unwrapped data key, ready to seal and open records. */
export interface DataKey {
  /** Random id of the data key (16 hex digits). */
  id: string;
  /** Id of the master key that wrapped it when it was read. */
  kid: string;
  /** The AES-256-GCM key (not extractable). */
  key: CryptoKey;
}

const IV_BYTES = 12;
const encoder = new TextEncoder();

/** The AAD of a data key of collection `scope`. */
function wrapAad(scope: string, id: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`facegate/dek/v1|${scope}|${id}`);
}

/**
 * Seals and opens records with per-collection data keys wrapped by a {@linkcode MasterKeyring}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMasterKey, MasterKeyring } from "./master_keyring.ts";
 * import { TemplateCipher } from "./template_cipher.ts";
 * const cipher = new TemplateCipher(await MasterKeyring.fromText(generateMasterKey()));
 * const { dataKey } = await cipher.createDataKey("m@1|staff");
 * const sealed = await cipher.seal(dataKey, "ann|f1", new Uint8Array([1, 2, 3]));
 * const plain = await cipher.open(dataKey, "ann|f1", sealed, "face f1");
 * assert.ok(plain.join() === "1,2,3");
 * const moved = await cipher.open(dataKey, "bob|f1", sealed, "face f1").catch((e) => e.code);
 * assert.ok(moved === "store_key_unavailable");
 * ```
 */
export class TemplateCipher {
  /** The master keys. */
  readonly keyring: MasterKeyring;

  /** @param keyring The configured master keys, newest first. */
  constructor(keyring: MasterKeyring) {
    this.keyring = keyring;
  }

  /**
   * A new random data key for collection `scope`, wrapped by the newest master key.
   *
   * @param scope What the key belongs to (model and collection); bound into the wrapping's AAD.
   */
  async createDataKey(scope: string): Promise<{ dataKey: DataKey; wrapped: WrappedDataKey }> {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const id = encodeHex(crypto.getRandomValues(new Uint8Array(8)));
    const master = this.keyring.newest;
    const wrapped = await gcmEncrypt(master.key, wrapAad(scope, id), raw);
    const key = await importDataKey(raw);
    raw.fill(0);
    return {
      dataKey: { id, kid: master.id, key },
      wrapped: { id, kid: master.id, wrapped: wrapped.toBase64() },
    };
  }

  /**
   * Unwraps a stored data key.
   *
   * @throws {FaceError} `store_key_unavailable` naming the master key id when that key is not
   *   configured or does not open the data key.
   */
  async unwrap(scope: string, stored: WrappedDataKey): Promise<DataKey> {
    const raw = await this.#unwrapRaw(scope, stored);
    const key = await importDataKey(raw);
    raw.fill(0);
    return { id: stored.id, kid: stored.kid, key };
  }

  /**
   * Re-wraps a stored data key with the newest master key (the data key itself, and so every
   * record sealed with it, is unchanged).
   *
   * @returns The new wrapping, or null when `stored` is already wrapped by the newest key.
   * @throws {FaceError} `store_key_unavailable` as {@linkcode unwrap}.
   */
  async rewrap(scope: string, stored: WrappedDataKey): Promise<WrappedDataKey | null> {
    const master = this.keyring.newest;
    if (stored.kid === master.id) return null;
    const raw = await this.#unwrapRaw(scope, stored);
    const wrapped = await gcmEncrypt(master.key, wrapAad(scope, stored.id), raw);
    raw.fill(0);
    return { id: stored.id, kid: master.id, wrapped: wrapped.toBase64() };
  }

  /**
   * Encrypts `plain` with the data key, binding `aad`.
   *
   * @returns `iv | ciphertext | tag`.
   */
  async seal(dataKey: DataKey, aad: string, plain: Uint8Array): Promise<Uint8Array> {
    return await gcmEncrypt(dataKey.key, encoder.encode(aad), plain);
  }

  /**
   * Decrypts a sealed record.
   *
   * @param what What the record is, for the error message (e.g. `face 0abc of subject "ann"`).
   * @throws {FaceError} `store_key_unavailable` when the key is wrong or the record was altered
   *   or moved (the AAD differs).
   */
  async open(dataKey: DataKey, aad: string, sealed: Uint8Array, what: string): Promise<Uint8Array> {
    try {
      return await gcmDecrypt(dataKey.key, encoder.encode(aad), sealed);
    } catch (cause) {
      throw new FaceError(
        "store_key_unavailable",
        `Cannot decrypt ${what} with data key ${dataKey.id} (master key ${dataKey.kid}): ` +
          "the key is wrong or the record was altered or moved",
        { cause, details: { key_id: dataKey.id, master_key_id: dataKey.kid } },
      );
    }
  }

  async #unwrapRaw(scope: string, stored: WrappedDataKey): Promise<Uint8Array> {
    const master = this.keyring.get(stored.kid);
    if (master === undefined) {
      throw keyUnavailable(
        stored,
        `master key ${stored.kid} is not configured (FACEGATE_MASTER_KEY has ${
          this.keyring.ids.join(", ")
        })`,
      );
    }
    try {
      return await gcmDecrypt(
        master.key,
        wrapAad(scope, stored.id),
        Uint8Array.fromBase64(stored.wrapped),
      );
    } catch (cause) {
      throw keyUnavailable(stored, `master key ${stored.kid} does not open it`, cause);
    }
  }
}

function keyUnavailable(stored: WrappedDataKey, why: string, cause?: unknown): FaceError {
  return new FaceError(
    "store_key_unavailable",
    `Cannot unwrap data key ${stored.id}: ${why}`,
    { cause, details: { key_id: stored.id, master_key_id: stored.kid } },
  );
}

async function importDataKey(raw: Uint8Array): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
}

async function gcmEncrypt(
  key: CryptoKey,
  aad: Uint8Array<ArrayBuffer>,
  plain: Uint8Array,
): Promise<Uint8Array> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad },
    key,
    plain as Uint8Array<ArrayBuffer>,
  );
  const out = new Uint8Array(IV_BYTES + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), IV_BYTES);
  return out;
}

async function gcmDecrypt(
  key: CryptoKey,
  aad: Uint8Array<ArrayBuffer>,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  if (sealed.length < IV_BYTES + 16) throw new RangeError("sealed record is too short");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: sealed.slice(0, IV_BYTES), additionalData: aad },
    key,
    sealed.subarray(IV_BYTES) as Uint8Array<ArrayBuffer>,
  );
  return new Uint8Array(plain);
}
