import assert from "node:assert/strict";
import {
  kvLivenessKey,
  KvLivenessSessionStore,
  MemoryLivenessSessionStore,
  redisLivenessKey,
} from "../../../lib/store/mod.ts";
import { openBackend } from "../../../lib/backend/mod.ts";
import { runLivenessSessionContract, sessionRecord } from "./_liveness_session_contract.ts";

runLivenessSessionContract(
  "MemoryLivenessSessionStore",
  () =>
    Promise.resolve({ store: new MemoryLivenessSessionStore(), cleanup: () => Promise.resolve() }),
);

runLivenessSessionContract("KvLivenessSessionStore", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new KvLivenessSessionStore(kv, ["test", crypto.randomUUID()]);
  return { store, cleanup: () => Promise.resolve(kv.close()) };
});

Deno.test("liveness session keys carry the schema version, the id and the part", () => {
  const id = "AAAAAAAAAAAAAAAAAAAAAA";
  assert.deepEqual(kvLivenessKey(id, "session", ["p"]), ["p", "v1", "liveness", id, "session"]);
  assert.equal(redisLivenessKey(id, "frames", "p:"), `p:v1:liveness:${id}:frames`);
});

Deno.test("KvLivenessSessionStore writes sessions and markers with an expiry", async () => {
  const kv = await Deno.openKv(":memory:");
  const store = new KvLivenessSessionStore(kv, ["t"]);
  const s = sessionRecord();
  await store.put(s, 60_000);
  assert.ok(await store.claim(s.id, "frames", 60_000));
  const entry = await kv.get<{ until: number }>(kvLivenessKey(s.id, "session", ["t"]));
  assert.ok(entry.value !== null && entry.value.until > Date.now());
  kv.close();
});

Deno.test("openBackend() puts the liveness sessions beside the faces", async () => {
  const memory = await openBackend({ kind: "memory" });
  assert.equal(memory.liveness.kind, "memory");
  const kv = await openBackend({ kind: "kv", path: ":memory:" });
  assert.equal(kv.liveness.kind, "kv");
  await kv.close();
});
