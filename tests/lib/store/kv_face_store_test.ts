import assert from "node:assert/strict";
import { KvFaceStore } from "../../../lib/store/faces/kv_face_store.ts";
import type { CollectionRef } from "../../../lib/store/faces/face_store.ts";
import type { StoreEncryption } from "../../../lib/store/mod.ts";
import { testKeyring } from "../../_master_key.ts";
import {
  assertChunksMatchGallery,
  rejectsWithCode,
  runFaceStoreContract,
  unitVector,
} from "./_contract.ts";

/** A store on a fresh temp KV file under a random prefix, removed by cleanup. */
async function makeKvStore(
  encryption: StoreEncryption | "test-key" = "test-key",
  galleryChunk?: number,
) {
  const dir = await Deno.makeTempDir({ prefix: "facegate_kv_" });
  const path = `${dir}/store.kv`;
  const store = await KvFaceStore.open(path, {
    prefix: ["test", crypto.randomUUID()],
    encryption: encryption === "test-key" ? await testKeyring() : encryption,
    galleryChunk,
  })
    .catch(async (err) => {
      await Deno.remove(dir, { recursive: true });
      throw err;
    });
  return {
    store,
    path,
    cleanup: async () => {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

runFaceStoreContract("KvFaceStore satisfies the FaceStore contract", () => makeKvStore());
runFaceStoreContract(
  "KvFaceStore with encryption off satisfies the FaceStore contract",
  () => makeKvStore("off"),
);

const ref: CollectionRef = { model: "m@1", collection: "c" };
const face = () => ({ embedding: unitVector(16), quality: 0.5 });

Deno.test("KvFaceStore counts exactly when two handles enroll one subject concurrently", async () => {
  const { path, cleanup } = await makeKvStore();
  const kv = await Deno.openKv(path);
  try {
    // A second handle on the same file, same prefix: writes contend through versionstamp checks.
    const prefix = ["shared"];
    const encryption = await testKeyring();
    const a = new KvFaceStore(await Deno.openKv(path), { prefix, ownsKv: true, encryption });
    const b = new KvFaceStore(kv, { prefix, encryption });
    const recs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).addFace(ref, "crowd", face())),
    );
    const s = await b.getSubject(ref, "crowd");
    assert.equal(s?.face_count, 40);
    assert.deepEqual(new Set(s?.faces.map((f) => f.id)), new Set(recs.map((r) => r.id)));
    const del = await Promise.all(
      recs.slice(0, 20).map((r, i) => (i % 2 ? a : b).deleteFace(ref, "crowd", r.id)),
    );
    assert.ok(del.every((x) => x));
    assert.equal((await a.getSubject(ref, "crowd"))?.face_count, 20);
    await a.close();
    await b.close();
  } finally {
    kv.close();
    await cleanup();
  }
});

Deno.test("KvFaceStore deletes a collection larger than one atomic operation", async () => {
  const { store, cleanup } = await makeKvStore();
  try {
    const big = { model: "m@1", collection: "big" };
    // One full subject (500 faces) plus 120 small ones: more than 1000 keys and 100 subjects.
    await Promise.all(Array.from({ length: 500 }, () => store.addFace(big, "full", face())));
    for (let i = 0; i < 120; i++) {
      await store.addFace(big, `s${String(i).padStart(3, "0")}`, face());
    }
    await rejectsWithCode(store.addFace(big, "full", face()), "conflict");
    assert.equal((await store.gallery(big)).faceIds.length, 620);
    assert.equal(await store.deleteCollection(big), 620);
    assert.deepEqual(await store.listSubjects(big), { subjects: [], next_cursor: null });
    assert.equal((await store.gallery(big)).faceIds.length, 0);
  } finally {
    await cleanup();
  }
});

Deno.test("KvFaceStore reports store_unavailable once its handle is closed", async () => {
  const { store, cleanup } = await makeKvStore();
  await store.addFace(ref, "ann", face());
  await store.close();
  try {
    await rejectsWithCode(store.addFace(ref, "ann", face()), "store_unavailable");
    await rejectsWithCode(store.gallery(ref), "store_unavailable");
    await rejectsWithCode(store.listSubjects(ref), "store_unavailable");
  } finally {
    await cleanup();
  }
});

Deno.test("KvFaceStore.galleryChunks() resumes its list across chunks: every face once, as gallery() has it", async () => {
  const { store, cleanup } = await makeKvStore("test-key", 7);
  try {
    for (let i = 0; i < 30; i++) {
      await store.addFace(ref, `s${i % 4}`, {
        ...face(),
        ...(i === 3 ? { expiresAt: "2030-01-02T03:04:05.000Z" } : {}),
      });
    }
    const chunks = await assertChunksMatchGallery(store, ref, 30);
    assert.equal(chunks, Math.ceil(30 / 7));
    // A chunk size that divides the count exactly ends without an empty chunk.
    for (let i = 0; i < 5; i++) await store.addFace(ref, "more", face());
    assert.equal(await assertChunksMatchGallery(store, ref, 35), 5);
  } finally {
    await cleanup();
  }
});
