/**
 * {@linkcode FaceStore} on Upstash Redis over its REST API (`@upstash/redis`), or on any server
 * that speaks that protocol (see `tools/upstash_bridge.ts`).
 *
 * Layout (see `keys.ts`): per collection a sorted set of subject names, per subject a summary hash
 * and a hash of face records, and one gallery hash face id -> packed `subjectLen|subject|float32`
 * record (base64). Every write is one Lua script (EVALSHA, falling back to EVAL), so it is atomic:
 * a face, its subject's count and its gallery row appear and disappear together. Enrolment is
 * idempotent by face id, so the client's bounded retries never enroll a face twice.
 *
 * Round trips: `gallery()` reads a collection of up to `galleryBatch` faces (default 2000, about
 * 5.6 MB of response for 512-d embeddings) with one script call; bigger collections are read in
 * HSCAN chunks of about `galleryBatch` faces, one round trip each, and are then not a snapshot
 * under concurrent writes. `getSubject()` and `listSubjects()` are one round trip each.
 * `deleteCollection()` deletes whole subjects, 100 per script call.
 *
 * @module
 */

import {
  RecordSealer,
  type RecordSealerOptions,
  type StoreEncryption,
} from "../sealing/record_sealer.ts";
import { upstashClient, type UpstashClientOptions } from "../backends/upstash_redis.ts";
import { BackendFaceStore, type FaceStoreParts } from "./backend_face_store.ts";
import * as writes from "./upstash_face_writes.ts";
import * as deletes from "./upstash_face_deletes.ts";
import * as reads from "./upstash_face_reads.ts";
import * as maintenance from "./upstash_face_maintenance.ts";
import { UpstashFaces } from "./_upstash_faces.ts";

/** Options for {@linkcode UpstashFaceStore}. */
export interface UpstashFaceStoreOptions extends UpstashClientOptions {
  /** String put before every key (tests use a random one). Default: `"facegate:"`. */
  prefix?: string;
  /** Clock for `created_at` / `updated_at`. Default: `() => new Date()`. */
  now?: () => Date;
  /** Faces read per gallery round trip. Default: 2000. */
  galleryBatch?: number;
  /**
   * Envelope encryption of embeddings and metadata: the master keyring, or `"off"` (plain records,
   * tests only). Required.
   */
  encryption?: StoreEncryption;
  /** Called for each refused record (see `RecordSealer`). Default: nothing (still counted). */
  onRefused?: RecordSealerOptions["onRefused"];
}

/**
 * A {@linkcode FaceStore} on Upstash Redis. See the module doc for layout and round trips.
 *
 * @example
 * ```ts ignore
 * import { UpstashFaceStore } from "./upstash_face_store.ts";
 * const store = new UpstashFaceStore({ url: "https://...", token: "..." });
 * const g = await store.gallery({ model: "m@1", collection: "staff" });
 * ```
 */
export class UpstashFaceStore extends BackendFaceStore<UpstashFaces> {
  /** Always `"upstash"`. */
  readonly kind = "upstash";

  /**
   * Creates the client; no request is made until the first call.
   *
   * @throws {RangeError} When `prefix` contains `{`, `}` or whitespace.
   */
  constructor(options: UpstashFaceStoreOptions) {
    const prefix = options.prefix ?? "facegate:";
    if (/[{}\s]/.test(prefix)) {
      throw new RangeError("UpstashFaceStore prefix must not contain braces or whitespace");
    }
    super({
      redis: upstashClient(options),
      prefix,
      now: options.now ?? (() => new Date()),
      galleryBatch: options.galleryBatch ?? 2000,
      sealer: new RecordSealer(options.encryption, { onRefused: options.onRefused }),
      dataKeys: new Map(),
      scripts: new Map(),
    }, PARTS);
  }

  /**
   * Deletes every key under this store's prefix (SCAN + DEL). For tests and tooling only.
   *
   * @returns The number of keys deleted.
   * @throws {FaceError} `store_unavailable` when Redis fails.
   */
  purge(): Promise<number> {
    return deletes.purge(this.state);
  }

  /** Nothing to release: the REST client holds no connections of its own. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The parts of the store, over its state. */
const PARTS: FaceStoreParts<UpstashFaces> = { ...writes, ...deletes, ...reads, ...maintenance };
