/**
 * Storage of each collection's match policy (the thresholds in force for verify and identify),
 * beside the collection's faces: the {@linkcode PolicyStore} role, its key schema and the memory
 * implementation. Deleting a collection's faces keeps its policy (the gate's rule outlives them).
 *
 * @module
 */
import type { CollectionRef } from "./face_store.ts";
import { SCHEMA_VERSION, validateName } from "./keys.ts";

/** One decision's rule: an L2 threshold, or a FAR preset of the model manifest. */
export type PolicyThreshold = { threshold: number } | { far: string };

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
   * The collection's policy, or null when none was set.
   *
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  get(ref: CollectionRef): Promise<StoredPolicy | null>;
  /**
   * Replaces the collection's policy.
   *
   * @throws {FaceError} `store_unavailable` when the backing store fails.
   */
  set(ref: CollectionRef, policy: StoredPolicy): Promise<void>;
}

/**
 * The Deno KV key of a collection's policy (outside its subject and face prefixes).
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
 * The Redis key of a collection's policy (a JSON string).
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
    const p = this.#policies.get(`${ref.model}|${ref.collection}`);
    return Promise.resolve(p ? structuredClone(p) : null);
  }

  /** Replaces the collection's policy. */
  set(ref: CollectionRef, policy: StoredPolicy): Promise<void> {
    this.#policies.set(
      `${validateName("model", ref.model)}|${validateName("collection", ref.collection)}`,
      structuredClone(policy),
    );
    return Promise.resolve();
  }
}
