import assert from "node:assert/strict";
import { isFaceError } from "../../lib/errors.ts";
import type { CollectionRef, FaceStore } from "../../lib/store/faces/face_store.ts";
import { UpstashFaceStore } from "../../lib/store/faces/upstash_face_store.ts";
import { PROBE_GAP_MS } from "../../lib/store/backends/upstash_redis.ts";
import { startBridge } from "../../tools/upstash_bridge.ts";
import {
  assertChunksMatchGallery,
  faceStoreContractSteps,
  rejectsWithCode,
  unitVector,
} from "../lib/store/_contract.ts";
import { redisKeys, redisTest, withRedis } from "./_redis_fixture.ts";
import { testKeyring } from "../_master_key.ts";

const ref: CollectionRef = { model: "m@1", collection: "c" };
const face = () => ({ embedding: unitVector(64), quality: 0.5 });

/** Every consistency invariant of a collection: counts, subjects and gallery rows agree. */
async function assertConsistent(store: FaceStore, r: CollectionRef): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.listSubjects(r, { cursor, limit: 50 });
    for (const s of page.subjects) {
      const full = await store.getSubject(r, s.subject);
      assert.ok(full, `listed subject ${s.subject} must exist`);
      assert.equal(full.face_count, full.faces.length);
      assert.equal(s.face_count, full.faces.length);
      assert.ok(full.faces.length > 0);
      for (const f of full.faces) ids.add(f.id);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const g = await store.gallery(r);
  assert.deepEqual(new Set(g.faceIds), ids);
  return ids;
}

redisTest(
  "UpstashFaceStore satisfies the FaceStore contract through the bridge to redis-server",
  async (t) => {
    await withRedis(async ({ redis, bridge }) => {
      const run = `test:${crypto.randomUUID()}:`;
      let n = 0;
      const keyring = await testKeyring();
      await faceStoreContractSteps(t, () => {
        const store = new UpstashFaceStore({
          url: bridge.url,
          token: bridge.token,
          prefix: `${run}${n++}:`,
          encryption: keyring,
        });
        return Promise.resolve({
          store,
          cleanup: async () => {
            await store.purge();
            await store.close();
          },
        });
      });
      assert.equal(
        (await redisKeys(redis.port, `${run}*`)).length,
        0,
        "cleanup must leave no keys",
      );
    });
  },
);

redisTest("UpstashFaceStore reads a gallery bigger than one batch in HSCAN chunks", async () => {
  await withRedis(async ({ bridge }) => {
    const store = new UpstashFaceStore({
      url: bridge.url,
      token: bridge.token,
      prefix: `test:${crypto.randomUUID()}:`,
      galleryBatch: 50,
      encryption: await testKeyring(),
    });
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const recs = await Promise.all(
          Array.from({ length: 25 }, () => store.addFace(ref, `s${i}`, face())),
        );
        for (const r of recs) ids.add(r.id);
      }
      const g = await store.gallery(ref);
      assert.equal(g.faceIds.length, 300);
      assert.deepEqual(new Set(g.faceIds), ids);
      assert.equal(g.subjects.length, 12);
      // The same faces in chunks of at most one batch each (what identify indexes as they come),
      // with the same embeddings, creation times and subject expiries.
      await store.setSubjectExpiry(ref, "s3", new Date(Date.now() + 3_600_000).toISOString());
      const chunks = await assertChunksMatchGallery(store, ref, 300);
      assert.ok(chunks >= 300 / 50, `${chunks} chunks`);
      assert.ok(
        Array.from((await store.gallery(ref)).subjectExpiresAt!).some(Number.isFinite),
        "the expiry is packed",
      );
      assert.equal(await store.deleteCollection(ref), 300);
    } finally {
      await store.purge();
    }
  });
});

redisTest(
  "UpstashFaceStore answers store_unavailable within its timeout while redis-server is frozen (SIGSTOP), and every write is whole after SIGCONT",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const store = new UpstashFaceStore({
        url: bridge.url,
        token: bridge.token,
        prefix: `test:${crypto.randomUUID()}:`,
        timeoutMs: 1000,
        encryption: await testKeyring(),
      });
      try {
        for (let i = 0; i < 3; i++) await store.addFace(ref, `s${i}`, face());
        // The server is alive but answers nothing: the bridge's commands wait in its socket.
        Deno.kill(redis.pid, "SIGSTOP");
        let results: PromiseSettledResult<unknown>[];
        const t0 = Date.now();
        try {
          results = await Promise.allSettled([
            store.addFace(ref, "s0", face()),
            store.addFace(ref, "frozen", face()),
            store.gallery(ref),
            store.getSubject(ref, "s1"),
            store.deleteSubject(ref, "s2"),
          ]);
        } finally {
          Deno.kill(redis.pid, "SIGCONT");
        }
        const elapsed = Date.now() - t0;
        for (const r of results) {
          assert.equal(r.status, "rejected", "nothing can succeed while the server is frozen");
          const reason = (r as PromiseRejectedResult).reason;
          assert.ok(isFaceError(reason, "store_unavailable"), `unexpected ${reason}`);
        }
        // Bounded by the client's timeout (1 s here, 10 s by default), not by the freeze.
        assert.ok(elapsed >= 900 && elapsed < 15_000, `${elapsed} ms`);
        // The writes the bridge had queued may land after the thaw (each is one script: whole or
        // absent); whatever happened, counts, subjects and gallery agree.
        await new Promise((r) => setTimeout(r, 500));
        const ids = await assertConsistent(store, ref);
        assert.ok(ids.size >= 2, `${ids.size} faces`);
        const after = await store.addFace(ref, "thawed", face());
        assert.ok((await assertConsistent(store, ref)).has(after.id));
      } finally {
        await store.purge();
      }
    });
  },
);

redisTest(
  "UpstashFaceStore rejects with store_unavailable when the bridge stops mid-run, and leaves no partial writes",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const prefix = `test:${crypto.randomUUID()}:`;
      const store = new UpstashFaceStore({
        url: bridge.url,
        token: bridge.token,
        prefix,
        timeoutMs: 2000,
        encryption: await testKeyring(),
      });
      for (let i = 0; i < 5; i++) await store.addFace(ref, `s${i}`, face());
      // Six writers enroll and delete in a loop; the bridge goes away while they run.
      const started = Date.now();
      const landed: string[] = [];
      const errors: unknown[] = [];
      const writer = async (w: number) => {
        for (let i = 0; i < 200; i++) {
          try {
            const rec = await store.addFace(ref, `s${(w + i) % 7}`, face());
            // Every fifth face is deleted again; one whose delete failed is in doubt, not counted.
            if (i % 5 === 4) await store.deleteFace(ref, rec.subject, rec.id);
            else landed.push(rec.id);
          } catch (err) {
            errors.push(err);
            return;
          }
        }
      };
      const writers = Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
      await new Promise((r) => setTimeout(r, 150));
      await bridge.close();
      await writers;
      assert.equal(errors.length, 6, "every writer must have been stopped by an error");
      for (const err of errors) {
        assert.ok(isFaceError(err, "store_unavailable"), `unexpected ${err}`);
      }
      assert.ok(landed.length > 0);
      const t0 = Date.now();
      await rejectsWithCode(store.addFace(ref, "late", face()), "store_unavailable");
      await rejectsWithCode(store.gallery(ref), "store_unavailable");
      await rejectsWithCode(store.deleteCollection(ref), "store_unavailable");
      assert.ok(Date.now() - t0 < 5000, `rejections took ${Date.now() - t0} ms`);
      assert.ok(Date.now() - started < 15000);
      // Same redis, a new bridge on the same port: every face is whole, counts are exact.
      const again = await startBridge({
        redisPort: redis.port,
        token: bridge.token,
        port: bridge.port,
      });
      try {
        // The client fails fast for a moment after its last failure, then its next call probes.
        await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
        const ids = await assertConsistent(store, ref);
        for (const id of landed) assert.ok(ids.has(id), `acknowledged face ${id} was lost`);
        assert.equal(await store.getSubject(ref, "late"), null);
        console.log(`  ${landed.length} faces acknowledged before the bridge stopped`);
      } finally {
        await store.purge();
        await again.close();
      }
    });
  },
);

Deno.test("UpstashFaceStore gives up with store_unavailable within its timeout when the server never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of listener) conns.push(c);
    } catch {
      // listener closed
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  const store = new UpstashFaceStore({
    url: `http://127.0.0.1:${port}`,
    token: "t",
    timeoutMs: 300,
    retries: 1,
    encryption: await testKeyring(),
  });
  try {
    const t0 = Date.now();
    await rejectsWithCode(store.gallery(ref), "store_unavailable");
    await rejectsWithCode(store.addFace(ref, "ann", face()), "store_unavailable");
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  } finally {
    listener.close();
    await accepting;
    for (const c of conns) c.close();
  }
});

redisTest(
  "UpstashFaceStore reports store_unavailable when redis-server is down behind the bridge",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const store = new UpstashFaceStore({
        url: bridge.url,
        token: bridge.token,
        prefix: "x:",
        encryption: await testKeyring(),
      });
      await redis.stop();
      await rejectsWithCode(store.listSubjects(ref), "store_unavailable");
      await rejectsWithCode(store.addFace(ref, "ann", face()), "store_unavailable");
    });
  },
);

redisTest("UpstashFaceStore reports store_unavailable for a wrong token", async () => {
  await withRedis(async ({ bridge }) => {
    const store = new UpstashFaceStore({
      url: bridge.url,
      token: "wrong",
      prefix: "x:",
      encryption: await testKeyring(),
    });
    await rejectsWithCode(store.gallery(ref), "store_unavailable");
  });
});
