/**
 * {@linkcode FaceStore} on Deno KV (a local SQLite file, or Deno Deploy's KV). Needs the
 * `--unstable-kv` flag (or `"unstable": ["kv"]` in deno.json).
 *
 * Consistency: every face mutation also rewrites its subject's summary in the same
 * `kv.atomic()` operation, guarded by a versionstamp check on that summary, and is retried when
 * another writer got there first. So the summary's `face_count` always equals the number of face
 * keys, a subject exists exactly while it has faces, and a subject is never visible half-written.
 * Limits of Deno KV: values ≤ 64 KiB (a face holds ≤ 16 KiB of embedding and ≤ 8 KiB of metadata),
 * ≤ 1000 mutations and ≤ 100 checks per atomic operation. A subject holds at most
 * `MAX_FACES_PER_SUBJECT` (500) faces, so deleting one subject is always a single atomic
 * operation; `deleteCollection` deletes whole subjects in chunks of up to 100 subjects / 1000 keys,
 * so while it runs other readers may see some subjects gone and others still there, but never a
 * subject with only part of its faces.
 *
 * @module
 */

import { FaceError } from "../../errors.ts";
import { storeCall } from "../backends/store_call.ts";
import {
  RecordSealer,
  type RecordSealerOptions,
  type StoreEncryption,
} from "../sealing/record_sealer.ts";
import { BackendFaceStore, type FaceStoreParts } from "./backend_face_store.ts";
import * as writes from "./kv_face_writes.ts";
import * as reads from "./kv_face_reads.ts";
import * as maintenance from "./kv_face_maintenance.ts";
import * as deletes from "./kv_face_deletes.ts";
import { KvFaces } from "./_kv_faces.ts";

/** Options for {@linkcode KvFaceStore}. */
export interface KvFaceStoreOptions {
  /** Key parts put before every key, e.g. a random test prefix. Default: `["facegate"]`. */
  prefix?: Deno.KvKeyPart[];
  /** Clock for `created_at` / `updated_at`. Default: `() => new Date()`. */
  now?: () => Date;
  /** Tries of a contended atomic write before `FaceError("conflict")`. Default: 100. */
  maxAttempts?: number;
  /** Whether `close()` closes the `Deno.Kv` handle. Default: false (true from `open`). */
  ownsKv?: boolean;
  /**
   * Envelope encryption of embeddings and metadata: the master keyring, or `"off"` (plain records,
   * tests only). Required.
   */
  encryption?: StoreEncryption;
  /** Faces per chunk of `galleryChunks()` (one `kv.list` each). Default: 2000. */
  galleryChunk?: number;
  /** Called for each refused record (see `RecordSealer`). Default: nothing (still counted). */
  onRefused?: RecordSealerOptions["onRefused"];
}

/**
 * A {@linkcode FaceStore} on Deno KV. See the module doc for the consistency guarantees.
 *
 * @example
 * ```ts ignore
 * import { KvFaceStore } from "./kv_face_store.ts";
 * const store = await KvFaceStore.open("./facegate.kv");
 * await store.addFace({ model: "m@1", collection: "staff" }, "ann", {
 *   embedding: new Float32Array([1, 0]),
 *   quality: 0.9,
 * });
 * await store.close();
 * ```
 */
export class KvFaceStore extends BackendFaceStore<KvFaces> {
  /** Always `"kv"`. */
  readonly kind = "kv";
  #ownsKv: boolean;
  #closed = false;

  /**
   * Wraps an open `Deno.Kv` handle.
   *
   * @param kv The handle; closed by `close()` only when `options.ownsKv` is true.
   * @param options See {@linkcode KvFaceStoreOptions}.
   */
  constructor(kv: Deno.Kv, options: KvFaceStoreOptions = {}) {
    super({
      kv,
      prefix: options.prefix ?? ["facegate"],
      now: options.now ?? (() => new Date()),
      maxAttempts: options.maxAttempts ?? 100,
      sealer: new RecordSealer(options.encryption, { onRefused: options.onRefused }),
      galleryChunk: options.galleryChunk ?? 2000,
      locks: new Map(),
    }, PARTS);
    this.#ownsKv = options.ownsKv ?? false;
  }

  /**
   * Opens Deno KV at `path` and returns a store that owns the handle.
   *
   * @param path SQLite file, `":memory:"`, or undefined for the default (Deploy's KV).
   * @returns The store; `close()` closes the handle.
   * @throws {FaceError} `store_unavailable` when the database cannot be opened or Deno KV is not
   *   enabled (`--unstable-kv`).
   */
  static async open(path: string | undefined, options: KvFaceStoreOptions): Promise<KvFaceStore> {
    if (typeof Deno.openKv !== "function") {
      throw new FaceError(
        "store_unavailable",
        'Cannot open the Deno KV database: Deno.openKv is missing (run with --unstable-kv or set "unstable": ["kv"] in deno.json)',
      );
    }
    return await storeCall("kv", "open the Deno KV database", async () => {
      return new KvFaceStore(await Deno.openKv(path), { ownsKv: true, ...options });
    });
  }

  /** Closes the KV handle when the store owns it; idempotent. */
  close(): Promise<void> {
    if (this.#ownsKv && !this.#closed) this.state.kv.close();
    this.#closed = true;
    return Promise.resolve();
  }
}

/** The parts of the store, over its state. */
const PARTS: FaceStoreParts<KvFaces> = { ...writes, ...deletes, ...reads, ...maintenance };
