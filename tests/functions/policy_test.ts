import { openBackend } from "../../lib/backend/mod.ts";
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
    const backend = await openBackend({ kind: "kv", path: `${dir}/p.kv` });
    try {
      await policyScenario(t, backend);
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
