import assert from "node:assert/strict";
import {
  type Action,
  type ApiKeyInfo,
  authorize,
  type Role,
  roleAllows,
  ROLES,
} from "../../../lib/auth/mod.ts";

const ACTIONS: Action[] = [
  "analyze",
  "match",
  "enroll",
  "read",
  "delete",
  "delete_collection",
  "admin",
];

/** The role matrix of the issue, written out in full. */
const EXPECTED: Record<Role, Action[]> = {
  verify: ["analyze", "match"],
  enroll: ["analyze", "match", "enroll", "read", "delete"],
  admin: ACTIONS,
};

const key = (role: Role, collections: "*" | string[]): ApiKeyInfo => ({
  id: "0123456789abcdef",
  name: "k",
  role,
  collections,
  created_at: "2025-01-01T00:00:00.000Z",
  revoked_at: null,
});

Deno.test("roleAllows() follows the role matrix for every role and action", () => {
  for (const role of ROLES) {
    for (const action of ACTIONS) {
      assert.equal(roleAllows(role, action), EXPECTED[role].includes(action), `${role} ${action}`);
    }
  }
});

Deno.test("authorize() refuses a role that lacks the action with forbidden, whatever the collection", () => {
  for (const role of ROLES) {
    for (const action of ACTIONS) {
      const run = () => authorize(key(role, "*"), action, "a", "x");
      if (EXPECTED[role].includes(action)) run();
      else assert.throws(run, { code: "forbidden" }, `${role} ${action}`);
    }
  }
});

Deno.test("authorize() limits collection actions to the key's collections, or any with *", () => {
  const scoped = key("admin", ["a", "b"]);
  authorize(scoped, "delete_collection", "a", "x");
  authorize(scoped, "read", "b", "x");
  assert.throws(() => authorize(scoped, "match", "c", "x"), { code: "forbidden" });
  assert.throws(() => authorize(scoped, "match", "A", "x"), { code: "forbidden" });
  // Actions without a collection (detect, embed, compare) ignore the scope.
  authorize(scoped, "analyze", undefined, "x");
  authorize(key("verify", "*"), "match", "anything", "x");
});
