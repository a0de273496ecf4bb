import { openBackend } from "../../lib/backend/mod.ts";
import { testKeyring } from "../_master_key.ts";
import { retentionScenario, testClock } from "./_retention_scenario.ts";

Deno.test({
  name: "retention on the memory backend: old and expired faces never match and are purged",
  sanitizeResources: false,
  async fn(t) {
    const clock = testClock();
    const backend = await openBackend({ kind: "memory" }, { now: clock.now });
    await retentionScenario(t, backend, clock, null);
    await backend.close();
  },
});

Deno.test({
  name: "retention on Deno KV: old and expired faces never match and are purged",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_retention_" });
    const path = `${dir}/r.kv`;
    const clock = testClock();
    const backend = await openBackend({ kind: "kv", path }, {
      now: clock.now,
      encryption: await testKeyring(),
    });
    // Every key and value of the file, audit events left out (they hold ids by design).
    const scan = async () => {
      const kv = await Deno.openKv(path);
      const out = new Map<string, string>();
      try {
        for await (const e of kv.list({ prefix: [] })) {
          if (e.key.includes("audit")) continue;
          out.set(
            JSON.stringify(e.key),
            JSON.stringify(e.value, (_k, v) => v instanceof Uint8Array ? Array.from(v) : v),
          );
        }
      } finally {
        kv.close();
      }
      return out;
    };
    try {
      await retentionScenario(t, backend, clock, scan);
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
