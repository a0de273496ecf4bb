import assert from "node:assert/strict";
import { atRest, atRestMarkdown, decryptOnly } from "../../bench/_at_rest.ts";

Deno.test("the at-rest benchmark decrypts, builds the index and measures both stores on a tiny gallery", async () => {
  const d = await decryptOnly(200);
  assert.equal(d.faces, 200);
  assert.ok(d.decrypt_ms >= 0 && d.decrypt_us_per_face >= 0 && d.index_build_ms >= 0);
  const kv = await atRest(100);
  assert.deepEqual(kv.map((r) => r.encryption), ["off", "aes-256-gcm"]);
  for (const r of kv) {
    assert.equal(r.faces, 100);
    assert.ok(r.load_faces_per_s > 0 && r.cold_identify_ms >= 0 && r.warm_identify_p50_ms >= 0);
  }
  const md = atRestMarkdown({ decrypt: [d], kv, measured_at: "2026-01-01T00:00:00Z" }).join("\n");
  assert.match(md, /## Encryption at rest/);
  assert.match(md, /\| 100 \| aes-256-gcm \|/);
});
