import { openBackend } from "../../lib/backend/mod.ts";
import { MemoryIdempotencyStore } from "../../lib/store/mod.ts";
import { testKeyring } from "../_master_key.ts";
import { readExisting } from "../integration/_plain_scan.ts";
import { idempotencyScenario, type Keyspace } from "./_idempotency_scenario.ts";

Deno.test({
  name: "Idempotency-Key on writes, on the memory backend",
  sanitizeResources: false,
  async fn(t) {
    const backend = await openBackend({ kind: "memory" });
    const idempotency = backend.idempotency as MemoryIdempotencyStore;
    // The memory backend's keyspace: every idempotency record and index entry (the face store's
    // erasure is the contract suite's).
    const scan = () =>
      Promise.resolve<Keyspace>({
        entries: new Map(idempotency.dump().map((line, i) => [`#${i}`, line])),
      });
    await idempotencyScenario(t, backend, { scan });
    await backend.close();
  },
});

/**
 * Every key and value of a Deno KV file read through a second handle (values as JSON, bytes as
 * latin1 text so any byte pattern stays visible), audit events left out; and the raw file + WAL.
 */
async function kvKeyspace(path: string): Promise<Keyspace> {
  const kv = await Deno.openKv(path);
  const entries = new Map<string, string>();
  try {
    for await (const e of kv.list({ prefix: [] })) {
      if (e.key.includes("audit")) continue; // [.., model, collection, "audit", id]: ids only
      entries.set(
        JSON.stringify(e.key),
        JSON.stringify(
          e.value,
          (_k, v) => v instanceof Uint8Array ? new TextDecoder("latin1").decode(v) : v,
        ),
      );
    }
  } finally {
    kv.close();
  }
  return { entries, raw: await readExisting([path, `${path}-wal`]) };
}

Deno.test({
  name: "Idempotency-Key on writes, on Deno KV",
  sanitizeResources: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_idem_key_" });
    const path = `${dir}/i.kv`;
    const backend = await openBackend({ kind: "kv", path }, { encryption: await testKeyring() });
    try {
      await idempotencyScenario(t, backend, { scan: () => kvKeyspace(path) });
    } finally {
      await backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
