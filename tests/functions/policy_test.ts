import assert from "node:assert/strict";
import { openBackend } from "../../lib/backend/mod.ts";
import { testKeyring } from "../_master_key.ts";
import { kvCollectionPolicyKey, kvPolicyKey, KvPolicyStore } from "../../lib/store/mod.ts";
import { policyScenario } from "./_policy_scenario.ts";

Deno.test({
  name: "match policy on the memory backend: only stricter requests unless admin (audited)",
  sanitizeResources: false,
  async fn(t) {
    const backend = await openBackend({ kind: "memory" });
    await policyScenario(t, backend);
    await backend.close();
  },
});

Deno.test({
  name: "match policy on Deno KV: only stricter requests unless admin (audited)",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_policy_" });
    const backend = await openBackend({ kind: "kv", path: `${dir}/p.kv` }, {
      encryption: await testKeyring(),
    });
    try {
      await policyScenario(t, backend);
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("Deno KV: a policy under the old per-recipe key is moved to the collection's key on first read, whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_policy_" });
  const kv = await Deno.openKv(`${dir}/p.kv`);
  try {
    const v1 = { model: "m@1", collection: "gate" };
    // As the previous version wrote it, with a field this version does not know.
    const old = {
      verify: { threshold: 0.7 },
      retention: { days: 9 },
      liveness: { required: true },
      updated_at: "2026-11-01T00:00:00.000Z",
    };
    await kv.set(kvPolicyKey(v1, ["facegate"]), old);
    const store = new KvPolicyStore(kv, ["facegate"], { legacyModels: ["m@1", "m@2"] });
    // Read as the collection's new recipe: found under the old recipe's key, and moved.
    assert.deepEqual(await store.get({ model: "m@2", collection: "gate" }), old);
    assert.equal((await kv.get(kvPolicyKey(v1, ["facegate"]))).value, null);
    assert.deepEqual((await kv.get(kvCollectionPolicyKey("gate", ["facegate"]))).value, old);
    assert.deepEqual(await new KvPolicyStore(kv).get({ model: "m@3", collection: "gate" }), old);
    assert.equal(await store.get({ model: "m@2", collection: "other" }), null);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
});
