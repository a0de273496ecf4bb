import assert from "node:assert/strict";
import { KvKeyStore, MemoryKeyStore } from "../../../lib/auth/mod.ts";
import { openBackend } from "../../../lib/backend/mod.ts";
import { keyStoreContractSteps, record } from "./_key_store_contract.ts";
import { testKeyring } from "../../_master_key.ts";

Deno.test("MemoryKeyStore satisfies the KeyStore contract", async (t) => {
  await keyStoreContractSteps(t, () => Promise.resolve(new MemoryKeyStore()));
});

Deno.test("KvKeyStore satisfies the KeyStore contract", async (t) => {
  const kv = await Deno.openKv(":memory:");
  let n = 0;
  try {
    await keyStoreContractSteps(
      t,
      () => Promise.resolve(new KvKeyStore(kv, { prefix: [`t${n++}`] })),
    );
  } finally {
    kv.close();
  }
});

Deno.test("KvKeyStore shares the face store's Deno KV file without touching its faces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_keys_" });
  const path = `${dir}/nested/facegate.kv`;
  try {
    const backend = await openBackend({ kind: "kv", path }, { encryption: await testKeyring() });
    const { keys, faces } = backend;
    await keys.insert(record("00000000000000d1", "2025-01-01T00:00:00.000Z"));
    const ref = { model: "m@1", collection: "c" };
    await faces.addFace(ref, "ann", { embedding: new Float32Array([1, 0]), quality: 1 });
    assert.equal((await faces.gallery(ref)).faceIds.length, 1);
    await faces.deleteCollection(ref);
    assert.equal((await keys.list()).length, 1);
    await backend.close();
    const reopened = await openBackend({ kind: "kv", path });
    assert.equal((await reopened.keys.get("00000000000000d1"))?.name, "key 00000000000000d1");
    await reopened.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
