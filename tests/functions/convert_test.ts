import { openBackend } from "../../lib/backend/mod.ts";
import { convertScenario } from "./_convert_scenario.ts";
import { testKeyring } from "../_master_key.ts";

Deno.test({
  name: "a v2 collection converted to v3 on the memory backend keeps its people, policy and faces",
  sanitizeResources: false,
  async fn(t) {
    const backend = await openBackend({ kind: "memory" });
    await convertScenario(t, backend);
    await backend.close();
  },
});

Deno.test({
  name: "a v2 collection converted to v3 on Deno KV keeps its people, policy and faces",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_convert_" });
    // Sealed like production: the conversion opens and seals every template again.
    const backend = await openBackend({ kind: "kv", path: `${dir}/c.kv` }, {
      encryption: await testKeyring(),
    });
    try {
      await convertScenario(t, backend);
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
