import { openBackend } from "../../lib/backend/mod.ts";
import { idempotencyScenario } from "./_idempotency_scenario.ts";

Deno.test({
  name: "Idempotency-Key on writes, on the memory backend",
  sanitizeResources: false,
  async fn(t) {
    const backend = await openBackend({ kind: "memory" });
    await idempotencyScenario(t, backend);
    await backend.close();
  },
});

Deno.test({
  name: "Idempotency-Key on writes, on Deno KV",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_idem_key_" });
    const backend = await openBackend({ kind: "kv", path: `${dir}/i.kv` });
    try {
      await idempotencyScenario(t, backend);
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
