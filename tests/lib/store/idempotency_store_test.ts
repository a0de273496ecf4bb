import assert from "node:assert/strict";
import {
  kvIdempotencyKey,
  KvIdempotencyStore,
  MemoryIdempotencyStore,
  redisIdempotencyKey,
} from "../../../lib/store/mod.ts";
import { openBackend } from "../../../lib/backend/mod.ts";
import { runIdempotencyContract } from "./_idempotency_contract.ts";

runIdempotencyContract("MemoryIdempotencyStore", () => {
  const store = new MemoryIdempotencyStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

runIdempotencyContract("KvIdempotencyStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_idem_" });
  const store = await KvIdempotencyStore.open(`${dir}/idem.kv`, {
    prefix: ["test", crypto.randomUUID()],
  });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

Deno.test("idempotency keys carry the schema version, scope and key", () => {
  const ref = { scope: "webhook", key: "msg_1" };
  assert.deepEqual(kvIdempotencyKey(ref, ["p"]), ["p", "v1", "idempotency", "webhook", "msg_1"]);
  assert.equal(redisIdempotencyKey(ref, "p:"), "p:v1:idempotency:webhook:msg_1");
});

Deno.test("KvIdempotencyStore writes its records with an expiry", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new KvIdempotencyStore(kv, { prefix: ["t"] });
  const ref = { scope: "webhook", key: "msg_1" };
  const claim = await store.claim(ref, "fp", 60_000);
  assert.ok(claim.claimed);
  const entry = await kv.get<{ expires_at: number }>(kvIdempotencyKey(ref, ["t"]));
  assert.ok(entry.value !== null && entry.value.expires_at > Date.now());
  await store.close();
  kv.close();
});

Deno.test("openBackend() puts the idempotency records beside the faces", async () => {
  const memory = await openBackend({ kind: "memory" });
  assert.equal(memory.idempotency.kind, "memory");
  const dir = await Deno.makeTempDir({ prefix: "facegate_idem_" });
  const kv = await openBackend({ kind: "kv", path: `${dir}/x.kv` });
  assert.equal(kv.idempotency.kind, "kv");
  await kv.close();
  await Deno.remove(dir, { recursive: true });
  const upstash = await openBackend({ kind: "upstash", url: "https://r.example", token: "t" });
  assert.equal(upstash.idempotency.kind, "upstash");
});
