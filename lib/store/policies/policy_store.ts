/**
 * Storage of each collection's match policy (the thresholds in force for verify and identify),
 * beside the collection's faces: the {@linkcode PolicyStore} role, its key schema and the memory
 * implementation. Deleting a collection's faces keeps its policy (the gate's rule outlives them).
 *
 * A policy belongs to the collection, not to its embedder recipe: it is keyed by the collection
 * alone and stored whole (every field, including ones added later), so a recipe switch — e.g. a
 * v1 collection emptied and refilled, which comes back on the default recipe — keeps it. Policies
 * written under the old per-recipe key (`…{model|collection}:policy`) are moved on first read.
 *
 * @module
 */
import type { CollectionRef } from "../faces/face_store.ts";
import { SCHEMA_VERSION, validateName } from "../keys.ts";

/** One decision's rule: an L2 threshold, or a FAR preset of the model manifest. */
export type PolicyThreshold = { threshold: number } | { far: string } | { fpir: number };

/** A collection's match policy as stored; an absent decision uses the manifest's default. */
export interface StoredPolicy {
  /** The 1:1 rule (verify; compare has no collection and always uses the default). */
  verify?: PolicyThreshold;
  /** The 1:K rule (identify). */
  identify?: PolicyThreshold;
  /**
   * How long a face may match after its enrolment: older faces never match and are purged.
   * Default: no retention (faces are kept until deleted).
   */
  retention?: { days: number };
  /**
   * Presentation-attack detection on every probe and enrolment of the collection. Default: none
   * (no liveness check unless a request asks for one).
   */
  liveness?: LivenessPolicy;
  /** When it was last set (ISO 8601). */
  updated_at: string;
}

/** A collection's liveness requirement. */
export interface LivenessPolicy {
  /** Whether verify, identify and enroll must judge the probe live. */
  required: boolean;
  /**
   * `passive`: the passive model judges the probe itself (a trusted camera); `challenge`: verify
   * needs a liveness token from a challenge session whose face is the probe's (an untrusted
   * client). Default: `passive`.
   */
  mode?: "passive" | "challenge";
  /** Bona fide score (0..1) at or above which a face is live. Default: the manifest's. */
  threshold?: number;
}

/** Where collections' match policies live. */
export interface PolicyStore {
  /** `"memory"`, `"kv"` or `"upstash"`. */
  readonly kind: string;
  /**
   * The collection's policy, or null when none was set. `ref.model` is only used to find a
   * policy written under the old per-recipe key (moved to the collection's key when found).
   *
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  get(ref: CollectionRef): Promise<StoredPolicy | null>;
  /**
   * Replaces the collection's policy (whatever recipe `ref.model` names).
   *
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  set(ref: CollectionRef, policy: StoredPolicy): Promise<void>;
}

/** Options of the KV and Redis policy stores. */
export interface PolicyStoreOptions {
  /**
   * Recipe ids whose old per-recipe policy keys are looked at (with `ref.model`) when a
   * collection has no policy under its own key. Default: none but `ref.model`.
   */
  legacyModels?: readonly string[];
}

/**
 * The Deno KV key of a collection's policy: the collection alone, whatever its recipe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvCollectionPolicyKey } from "./policy_store.ts";
 * assert.deepEqual(kvCollectionPolicyKey("gate", ["p"]), ["p", "policy", "v1", "gate"]);
 * ```
 */
export function kvCollectionPolicyKey(
  collection: string,
  prefix: readonly Deno.KvKeyPart[],
): Deno.KvKey {
  return [...prefix, "policy", SCHEMA_VERSION, validateName("collection", collection)];
}

/**
 * The Redis key of a collection's policy (a JSON string): the collection alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisCollectionPolicyKey } from "./policy_store.ts";
 * assert.equal(redisCollectionPolicyKey("gate", "p:"), "p:v1:policy:{gate}");
 * ```
 */
export function redisCollectionPolicyKey(collection: string, prefix: string): string {
  return `${prefix}${SCHEMA_VERSION}:policy:{${validateName("collection", collection)}}`;
}

/** The models whose old per-recipe keys a read looks at: `ref.model` first, no repeats. */
export function legacyPolicyModels(
  ref: CollectionRef,
  options: PolicyStoreOptions,
): string[] {
  return [...new Set([ref.model, ...(options.legacyModels ?? [])])];
}

/**
 * The old Deno KV key of a collection's policy, per recipe (read only, to move it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvPolicyKey } from "./policy_store.ts";
 * assert.deepEqual(kvPolicyKey({ model: "m@1", collection: "gate" }, ["p"]), ["p", "v1", "m@1", "gate", "policy"]);
 * ```
 */
export function kvPolicyKey(ref: CollectionRef, prefix: readonly Deno.KvKeyPart[]): Deno.KvKey {
  return [
    ...prefix,
    SCHEMA_VERSION,
    validateName("model", ref.model),
    validateName("collection", ref.collection),
    "policy",
  ];
}

/**
 * The old Redis key of a collection's policy, per recipe (read only, to move it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redisPolicyKey } from "./policy_store.ts";
 * assert.equal(redisPolicyKey({ model: "m@1", collection: "gate" }, "p:"), "p:v1:{m@1|gate}:policy");
 * ```
 */
export function redisPolicyKey(ref: CollectionRef, prefix: string): string {
  const model = validateName("model", ref.model);
  const collection = validateName("collection", ref.collection);
  return `${prefix}${SCHEMA_VERSION}:{${model}|${collection}}:policy`;
}

/** A {@linkcode PolicyStore} in memory (tests, `FACEGATE_STORE=memory`). */
export class MemoryPolicyStore implements PolicyStore {
  /** Always `"memory"`. */
  readonly kind = "memory";
  #policies = new Map<string, StoredPolicy>();

  /** The collection's policy (a copy), or null. */
  get(ref: CollectionRef): Promise<StoredPolicy | null> {
    const p = this.#policies.get(ref.collection);
    return Promise.resolve(p ? structuredClone(p) : null);
  }

  /** Replaces the collection's policy (kept whole). */
  set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    this.#policies.set(validateName("collection", ref.collection), structuredClone(policy));
    return Promise.resolve();
  }
}
