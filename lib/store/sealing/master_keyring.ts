/**
 * The master keys of envelope encryption (`FACEGATE_MASTER_KEY`): 32-byte AES-256 keys given as
 * base64, comma-separated, newest first. Each key is named by its id, the first 8 hex digits of
 * the SHA-256 of its bytes, so a record can say which key it needs without revealing it.
 *
 * @module
 */
import { encodeHex } from "../../encoding/mod.ts";

/** One master key, imported for AES-GCM (not extractable). */
export interface MasterKey {
  /** First 8 hex digits of SHA-256 of the key bytes. */
  id: string;
  /** The AES-256-GCM key. */
  key: CryptoKey;
}

/**
 * Splits and checks a `FACEGATE_MASTER_KEY` value: comma-separated standard base64 of exactly 32
 * bytes each. Pure and synchronous, so the config parser can report problems with the others.
 *
 * @param text The variable's value.
 * @returns The decoded keys (newest first) and the problems found (empty when valid; never the
 *   key material itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMasterKeys } from "./master_keyring.ts";
 * const key = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
 * assert.ok(parseMasterKeys(`${key}, ${key}`).problems.length === 1); // duplicate
 * assert.ok(parseMasterKeys("abc").problems.length === 1);
 * ```
 */
export function parseMasterKeys(text: string): { keys: Uint8Array[]; problems: string[] } {
  const keys: Uint8Array[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(",").map((s) => s.trim()).forEach((part, i) => {
    let bytes: Uint8Array | undefined;
    try {
      bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(part) ? Uint8Array.fromBase64(part) : undefined;
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined || bytes.length !== 32) {
      problems.push(`FACEGATE_MASTER_KEY entry ${i + 1} is not base64 of 32 bytes`);
    } else if (seen.has(part)) {
      problems.push(`FACEGATE_MASTER_KEY entry ${i + 1} repeats an earlier key`);
    } else {
      seen.add(part);
      keys.push(bytes);
    }
  });
  return { keys, problems };
}

/**
 * A new random master key as base64 of 32 bytes (what `deno task dev` writes on first start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMasterKey, parseMasterKeys } from "./master_keyring.ts";
 * assert.ok(parseMasterKeys(generateMasterKey()).problems.length === 0);
 * ```
 */
export function generateMasterKey(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64();
}

/**
 * The id of a master key: the first 8 hex digits of the SHA-256 of its bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { masterKeyId } from "./master_keyring.ts";
 * assert.ok((await masterKeyId(new Uint8Array(32))) === "66687aad");
 * ```
 */
export async function masterKeyId(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return encodeHex(digest.subarray(0, 4));
}

/**
 * The configured master keys, newest first: the newest wraps new data keys, the others only
 * unwrap data keys not yet rotated (see `deno task keys rotate-master`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateMasterKey, MasterKeyring } from "./master_keyring.ts";
 * const ring = await MasterKeyring.fromText(generateMasterKey());
 * assert.ok(ring.ids.length === 1 && ring.get(ring.newest.id) === ring.newest);
 * ```
 */
export class MasterKeyring {
  /** The key that wraps new data keys. */
  readonly newest: MasterKey;
  /** Every key id, newest first. */
  readonly ids: readonly string[];
  #byId: Map<string, MasterKey>;

  private constructor(keys: MasterKey[]) {
    this.newest = keys[0];
    this.ids = keys.map((k) => k.id);
    this.#byId = new Map(keys.map((k) => [k.id, k]));
  }

  /**
   * Imports raw 32-byte keys, newest first.
   *
   * @throws {RangeError} When the list is empty, a key is not 32 bytes or two keys share an id.
   */
  static async fromBytes(list: readonly Uint8Array[]): Promise<MasterKeyring> {
    if (list.length === 0) throw new RangeError("MasterKeyring needs at least one key");
    const keys: MasterKey[] = [];
    for (const bytes of list) {
      if (bytes.length !== 32) throw new RangeError("A master key must be 32 bytes");
      const id = await masterKeyId(bytes);
      if (keys.some((k) => k.id === id)) throw new RangeError(`Master key ${id} is repeated`);
      const key = await crypto.subtle.importKey(
        "raw",
        bytes as Uint8Array<ArrayBuffer>,
        "AES-GCM",
        false,
        ["encrypt", "decrypt"],
      );
      keys.push({ id, key });
    }
    return new MasterKeyring(keys);
  }

  /**
   * Parses a `FACEGATE_MASTER_KEY` value (see {@linkcode parseMasterKeys}) and imports it.
   *
   * @throws {RangeError} Listing the problems when the value is invalid.
   */
  static async fromText(text: string): Promise<MasterKeyring> {
    const { keys, problems } = parseMasterKeys(text);
    if (problems.length > 0) throw new RangeError(problems.join("; "));
    return await MasterKeyring.fromBytes(keys);
  }

  /** The key with this id, or undefined when it is not configured. */
  get(id: string): MasterKey | undefined {
    return this.#byId.get(id);
  }
}
