/**
 * The {@linkcode KeyStore} contract, run against every implementation.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { ApiKeyRecord, KeyStore } from "../../../lib/auth/mod.ts";

/** A record with a given id and creation time. */
export function record(id: string, created_at: string): ApiKeyRecord {
  return {
    id,
    name: `key ${id}`,
    role: "enroll",
    collections: ["a", "b"],
    created_at,
    revoked_at: null,
    hash: `sha256:${"0".repeat(64)}`,
  };
}

/** Runs the contract as steps of `t`; `open` returns a fresh, empty store each time. */
export async function keyStoreContractSteps(
  t: Deno.TestContext,
  open: () => Promise<KeyStore>,
): Promise<void> {
  await t.step("insert then get returns the same record; unknown ids are null", async () => {
    const store = await open();
    try {
      const r = record("00000000000000a1", "2025-01-01T00:00:00.000Z");
      await store.insert(r);
      assert.deepEqual(await store.get(r.id), r);
      assert.equal(await store.get("00000000000000ff"), null);
    } finally {
      await store.close();
    }
  });

  await t.step(
    "insert refuses an existing id with conflict and keeps the first record",
    async () => {
      const store = await open();
      try {
        const r = record("00000000000000a2", "2025-01-01T00:00:00.000Z");
        await store.insert(r);
        await assert.rejects(store.insert({ ...r, name: "other" }), { code: "conflict" });
        assert.equal((await store.get(r.id))?.name, r.name);
      } finally {
        await store.close();
      }
    },
  );

  await t.step("list returns every record oldest first", async () => {
    const store = await open();
    try {
      assert.deepEqual(await store.list(), []);
      const rs = [
        record("00000000000000b3", "2025-01-03T00:00:00.000Z"),
        record("00000000000000b1", "2025-01-01T00:00:00.000Z"),
        record("00000000000000b2", "2025-01-01T00:00:00.000Z"),
      ];
      for (const r of rs) await store.insert(r);
      assert.deepEqual((await store.list()).map((r) => r.id), [
        "00000000000000b1",
        "00000000000000b2",
        "00000000000000b3",
      ]);
    } finally {
      await store.close();
    }
  });

  await t.step("revoke sets revoked_at once and answers null for unknown ids", async () => {
    const store = await open();
    try {
      const r = record("00000000000000c1", "2025-01-01T00:00:00.000Z");
      await store.insert(r);
      const first = await store.revoke(r.id, "2025-02-01T00:00:00.000Z");
      assert.deepEqual(first, { ...r, revoked_at: "2025-02-01T00:00:00.000Z" });
      const again = await store.revoke(r.id, "2025-03-01T00:00:00.000Z");
      assert.equal(again?.revoked_at, "2025-02-01T00:00:00.000Z");
      assert.equal((await store.get(r.id))?.revoked_at, "2025-02-01T00:00:00.000Z");
      assert.equal(await store.revoke("00000000000000ff", "2025-02-01T00:00:00.000Z"), null);
    } finally {
      await store.close();
    }
  });
}
