import assert from "node:assert/strict";
import { MemoryFaceStore } from "../../../lib/store/faces/memory_face_store.ts";
import { rejectsWithCode, runFaceStoreContract, unitVector } from "./_contract.ts";

runFaceStoreContract("MemoryFaceStore satisfies the FaceStore contract", () => {
  const store = new MemoryFaceStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});

Deno.test("MemoryFaceStore uses the injected clock for timestamps", async () => {
  let t = Date.UTC(2024, 0, 1);
  const store = new MemoryFaceStore({ now: () => new Date(t) });
  const ref = { model: "m@1", collection: "c" };
  await store.addFace(ref, "ann", { embedding: unitVector(4), quality: 0.5 });
  t += 60_000;
  await store.addFace(ref, "ann", { embedding: unitVector(4), quality: 0.5 });
  const s = await store.getSubject(ref, "ann");
  assert.equal(s?.created_at, "2024-01-01T00:00:00.000Z");
  assert.equal(s?.updated_at, "2024-01-01T00:01:00.000Z");
});

Deno.test("MemoryFaceStore refuses a face beyond the per-subject limit with conflict", async () => {
  const store = new MemoryFaceStore();
  const ref = { model: "m@1", collection: "c" };
  for (let i = 0; i < 500; i++) {
    await store.addFace(ref, "ann", { embedding: unitVector(2), quality: 0.5 });
  }
  await rejectsWithCode(
    store.addFace(ref, "ann", { embedding: unitVector(2), quality: 0.5 }),
    "conflict",
  );
  assert.equal((await store.getSubject(ref, "ann"))?.face_count, 500);
});
