import assert from "node:assert/strict";
import { openBackend } from "../../../lib/backend/mod.ts";
import { createApiKey } from "../../../lib/auth/mod.ts";
import { hasKeyMaintenance } from "../../../lib/store/mod.ts";
import { testKeyring } from "../../_master_key.ts";

const ref = { model: "m@1", collection: "gate" };
const face = () => ({ embedding: new Float32Array([0.6, 0.8]), quality: 0.9 });

Deno.test("openBackend() without an encryption choice is encrypted: no face is written or read in plain text", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_backend_" });
  const path = `${dir}/b.kv`;
  try {
    const backend = await openBackend({ kind: "kv", path });
    // The rest of the backend works (a key CLI needs no master key)...
    await createApiKey(backend.keys, { name: "ops", role: "admin", collections: "*" });
    // ...but faces need a key: refused, not written in plain.
    await assert.rejects(backend.faces.addFace(ref, "ann", face()), {
      code: "store_key_unavailable",
    });
    assert.equal(await backend.faces.getSubject(ref, "ann"), null);
    await backend.close();
    // A plain record (written with encryption explicitly off) is refused by such a backend too.
    const plain = await openBackend({ kind: "kv", path }, { encryption: "off" });
    await plain.faces.addFace(ref, "bob", face());
    await plain.close();
    const unkeyed = await openBackend({ kind: "kv", path });
    assert.equal((await unkeyed.faces.getSubject(ref, "bob"))?.faces.length, 0);
    assert.ok(hasKeyMaintenance(unkeyed.faces));
    assert.equal(await unkeyed.faces.countPlainRecords(), 1);
    await unkeyed.close();
    // With the key given, faces are sealed.
    const keyed = await openBackend({ kind: "kv", path }, { encryption: await testKeyring() });
    await keyed.faces.addFace(ref, "ann", face());
    assert.equal((await keyed.faces.getSubject(ref, "ann"))?.faces.length, 1);
    assert.ok(hasKeyMaintenance(keyed.faces));
    assert.equal(await keyed.faces.countPlainRecords(), 1, "only bob's plain record");
    await keyed.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
