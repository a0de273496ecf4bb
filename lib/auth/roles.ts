/**
 * The role matrix: which action each {@linkcode Role} may perform, and the check that a key may
 * perform an action on a collection.
 *
 * | action              | routes                                             | verify | enroll | admin |
 * | ------------------- | -------------------------------------------------- | :----: | :----: | :---: |
 * | `analyze`           | `POST /v1/detect`, `/v1/embed`, `/v1/liveness`     |   ✓    |   ✓    |   ✓   |
 * | `match`             | `POST /v1/compare`, `…/verify`, `…/identify`       |   ✓    |   ✓    |   ✓   |
 * | `enroll`            | `POST …/subjects/{s}/faces`                        |        |   ✓    |   ✓   |
 * | `read`              | `GET …/subjects`, `GET …/subjects/{s}`             |        |   ✓    |   ✓   |
 * | `delete`            | `DELETE …/subjects/{s}`, `DELETE …/faces/{id}`     |        |   ✓    |   ✓   |
 * | `delete_collection` | `DELETE /v1/collections/{c}`                       |        |        |   ✓   |
 * | `admin`             | anything else (routes without a declared action)   |        |        |   ✓   |
 *
 * Collection-scoped actions also need the collection in the key's `collections` (or `"*"`).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { ApiKeyInfo, Role } from "./api_key.ts";

/** Something a request does. */
export type Action =
  | "analyze"
  | "match"
  | "enroll"
  | "read"
  | "delete"
  | "delete_collection"
  | "admin";

/** The actions of each role. */
export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  verify: ["analyze", "match"],
  enroll: ["analyze", "match", "enroll", "read", "delete"],
  admin: ["analyze", "match", "enroll", "read", "delete", "delete_collection", "admin"],
};

/** Whether `role` may perform `action` (ignoring collections). */
export function roleAllows(role: Role, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}

/**
 * Checks that a key may perform `action`, on `collection` when the action has one.
 *
 * @param key The authenticated key.
 * @param action What the request does.
 * @param collection The collection it touches, if any.
 * @param what Short description for the message, e.g. `"DELETE /v1/collections/a"`.
 * @throws {FaceError} `forbidden` when the role or the collection scope does not allow it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorize } from "./roles.ts";
 * const key = { id: "0123456789abcdef", name: "k", role: "verify" as const,
 *   collections: ["a"], created_at: "", revoked_at: null };
 * authorize(key, "match", "a", "identify");
 * assert.throws(() => authorize(key, "match", "b", "identify"), { code: "forbidden" });
 * assert.throws(() => authorize(key, "enroll", "a", "enroll"), { code: "forbidden" });
 * ```
 */
export function authorize(
  key: ApiKeyInfo,
  action: Action,
  collection: string | undefined,
  what: string,
): void {
  if (!roleAllows(key.role, action)) {
    throw new FaceError(
      "forbidden",
      `Cannot ${what}: a key with role ${key.role} may not ${action.replace("_", " ")}`,
      { details: { role: key.role, action } },
    );
  }
  if (
    collection !== undefined && key.collections !== "*" && !key.collections.includes(collection)
  ) {
    throw new FaceError(
      "forbidden",
      `Cannot ${what}: this key may not use collection ${collection}`,
      { details: { collection } },
    );
  }
}
