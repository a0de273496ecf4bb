/**
 * The one contract every {@linkcode FaceStore} must satisfy, run against each implementation.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isFaceError } from "../../../lib/errors.ts";
import type {
  CollectionRef,
  FaceStore,
  Gallery,
  NewFace,
} from "../../../lib/store/faces/face_store.ts";

/** A fresh store and how to dispose of it (close handles, delete keys/files). */
export interface StoreFixture {
  store: FaceStore;
  cleanup: () => Promise<void>;
}

/** Makes a fresh, empty store for one contract case. */
export type MakeStore = () => Promise<StoreFixture>;

/** Asserts that `promise` rejects with `FaceError` of `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isFaceError(err), `expected a FaceError, got ${err}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    return true;
  });
}

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

/** A deterministic unit-length vector. */
export function unitVector(dim: number): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = rand() * 2 - 1;
    n += v[i] * v[i];
  }
  for (let i = 0; i < dim; i++) v[i] /= Math.sqrt(n);
  return v;
}

function face(dim = 8, extra: Partial<NewFace> = {}): NewFace {
  return { embedding: unitVector(dim), quality: 0.8, ...extra };
}

const MODEL_A = "fr_feature@faceplugin-0.0.1";
const MODEL_B = "arcface.r50@1";

function ref(collection = "staff", model = MODEL_A): CollectionRef {
  return { model, collection };
}

type Case = [name: string, fn: (store: FaceStore) => Promise<void>];

const cases: Case[] = [
  ["addFace() keeps a given createdAt (a moved face keeps its retention clock)", async (store) => {
    const createdAt = "2025-03-04T05:06:07.000Z";
    const f = face(8, { createdAt });
    const rec = await store.addFace(ref(), "moved", f);
    assert.equal(rec.created_at, createdAt);
    const subject = await store.getSubject(ref(), "moved");
    assert.equal(subject?.faces[0].created_at, createdAt);
    const g = await store.gallery(ref());
    assert.equal(g.createdAt?.[0], Date.parse(createdAt));
    await assert.rejects(
      store.addFace(ref(), "moved", face(8, { createdAt: "2999-01-01T00:00:00Z" })),
      RangeError,
    );
  }],
  ["addFace() creates the subject and returns the stored face", async (store) => {
    const f = face(8, { quality: 0.75 });
    const rec = await store.addFace(ref(), "ann", f);
    assert.match(rec.id, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(rec.subject, "ann");
    assert.equal(rec.model, MODEL_A);
    assert.deepEqual([...rec.embedding], [...f.embedding]);
    assert.equal(rec.quality, 0.75);
    assert.ok(!Number.isNaN(Date.parse(rec.created_at)));
    assert.equal(rec.metadata, undefined);
    const subject = await store.getSubject(ref(), "ann");
    assert.ok(subject);
    assert.equal(subject.face_count, 1);
    assert.equal(subject.faces.length, 1);
    assert.equal(subject.faces[0].id, rec.id);
    assert.deepEqual([...subject.faces[0].embedding], [...f.embedding]);
  }],

  ["getSubject() returns null for an unknown subject and collection", async (store) => {
    assert.equal(await store.getSubject(ref(), "nobody"), null);
    assert.equal(await store.getSubject(ref("empty"), "nobody"), null);
  }],

  ["addFace() to an existing subject counts every face and keeps created_at", async (store) => {
    const a = await store.addFace(ref(), "bob", face());
    const b = await store.addFace(ref(), "bob", face());
    const c = await store.addFace(ref(), "bob", face());
    const s = await store.getSubject(ref(), "bob");
    assert.ok(s);
    assert.equal(s.face_count, 3);
    assert.deepEqual(s.faces.map((f) => f.id).sort(), [a.id, b.id, c.id].sort());
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
    assert.ok(s.created_at <= s.updated_at);
    for (const f of s.faces) assert.equal(f.subject, "bob");
  }],

  ["metadata and quality round trip exactly, and stored data is a copy", async (store) => {
    const metadata = { name: "Zoë Ångström 李", n: 3.5, tags: ["a", "b"], nested: { ok: true } };
    const f = face(16, { quality: 0.123456789, metadata });
    const rec = await store.addFace(ref(), "zoe", f);
    assert.deepEqual(rec.metadata, metadata);
    f.embedding[0] = 42;
    metadata.n = 99;
    const s = await store.getSubject(ref(), "zoe");
    assert.ok(s);
    assert.deepEqual(s.faces[0].metadata, {
      name: "Zoë Ångström 李",
      n: 3.5,
      tags: ["a", "b"],
      nested: { ok: true },
    });
    assert.equal(s.faces[0].quality, 0.123456789);
    assert.notEqual(s.faces[0].embedding[0], 42);
    assert.equal(s.faces[0].created_at, rec.created_at);
  }],

  ["addFace() rejects metadata that is not a small JSON object", async (store) => {
    await rejectsWithCode(
      store.addFace(ref(), "ann", face(8, { metadata: [1] as unknown as Record<string, unknown> })),
      "invalid_request",
    );
    await rejectsWithCode(
      store.addFace(ref(), "ann", face(8, { metadata: { big: "x".repeat(20_000) } })),
      "invalid_request",
    );
    assert.equal(await store.getSubject(ref(), "ann"), null);
  }],

  ["listSubjects() pages through subjects in name order with a cursor", async (store) => {
    const names = ["dave", "Carol", "alice", "bob", "eve", "frank", "a.b@c-d_e"];
    for (const [i, n] of names.entries()) {
      for (let k = 0; k <= i % 3; k++) await store.addFace(ref(), n, face());
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listSubjects(ref(), { limit: 3, cursor });
      assert.ok(page.subjects.length <= 3);
      for (const s of page.subjects) {
        seen.push(s.subject);
        const i = names.indexOf(s.subject);
        assert.equal(s.face_count, (i % 3) + 1);
        assert.ok(!Number.isNaN(Date.parse(s.created_at)));
        assert.ok(!Number.isNaN(Date.parse(s.updated_at)));
      }
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...names].sort());
    const all = await store.listSubjects(ref());
    assert.equal(all.subjects.length, names.length);
    assert.equal(all.next_cursor, null);
    const exact = await store.listSubjects(ref(), { limit: names.length });
    assert.equal(exact.next_cursor, null);
  }],

  ["listSubjects() of an empty collection is an empty last page", async (store) => {
    assert.deepEqual(await store.listSubjects(ref("nothing")), { subjects: [], next_cursor: null });
  }],

  ["listSubjects() rejects a bad limit or cursor with invalid_request", async (store) => {
    await rejectsWithCode(store.listSubjects(ref(), { limit: 0 }), "invalid_request");
    await rejectsWithCode(store.listSubjects(ref(), { limit: 1001 }), "invalid_request");
    await rejectsWithCode(store.listSubjects(ref(), { limit: 2.5 }), "invalid_request");
    await rejectsWithCode(store.listSubjects(ref(), { cursor: "%%%" }), "invalid_request");
  }],

  ["deleteFace() removes one face and the subject with its last face", async (store) => {
    const a = await store.addFace(ref(), "cat", face());
    const b = await store.addFace(ref(), "cat", face());
    await store.addFace(ref(), "dog", face());
    assert.equal(await store.deleteFace(ref(), "cat", "nonexistent"), false);
    assert.equal(await store.deleteFace(ref(), "dog", a.id), false);
    assert.equal(await store.deleteFace(ref(), "nobody", a.id), false);
    assert.equal(await store.deleteFace(ref(), "cat", a.id), true);
    assert.equal(await store.deleteFace(ref(), "cat", a.id), false);
    let s = await store.getSubject(ref(), "cat");
    assert.ok(s);
    assert.equal(s.face_count, 1);
    assert.deepEqual(s.faces.map((f) => f.id), [b.id]);
    assert.equal(await store.deleteFace(ref(), "cat", b.id), true);
    s = await store.getSubject(ref(), "cat");
    assert.equal(s, null);
    const list = await store.listSubjects(ref());
    assert.deepEqual(list.subjects.map((x) => x.subject), ["dog"]);
    const g = await store.gallery(ref());
    assert.deepEqual(g.subjects, ["dog"]);
    assert.equal(g.faceIds.length, 1);
  }],

  ["deleteSubject() removes a subject and all its faces", async (store) => {
    for (let i = 0; i < 4; i++) await store.addFace(ref(), "eve", face());
    await store.addFace(ref(), "fay", face());
    assert.equal(await store.deleteSubject(ref(), "eve"), true);
    assert.equal(await store.deleteSubject(ref(), "eve"), false);
    assert.equal(await store.getSubject(ref(), "eve"), null);
    const g = await store.gallery(ref());
    assert.deepEqual(g.subjects, ["fay"]);
    assert.equal(g.faceIds.length, 1);
    const again = await store.addFace(ref(), "eve", face());
    const s = await store.getSubject(ref(), "eve");
    assert.equal(s?.face_count, 1);
    assert.equal(s?.faces[0].id, again.id);
  }],

  ["deleteCollection() removes every face of one collection and nothing else", async (store) => {
    for (let i = 0; i < 7; i++) await store.addFace(ref("doomed"), `s${i % 3}`, face());
    await store.addFace(ref("kept"), "s0", face());
    await store.addFace(ref("doomed", MODEL_B), "s0", face(4));
    assert.equal(await store.deleteCollection(ref("doomed")), 7);
    assert.equal(await store.deleteCollection(ref("doomed")), 0);
    assert.equal(await store.deleteCollection(ref("never")), 0);
    assert.deepEqual(await store.listSubjects(ref("doomed")), { subjects: [], next_cursor: null });
    assert.equal((await store.gallery(ref("doomed"))).faceIds.length, 0);
    assert.equal(await store.getSubject(ref("doomed"), "s0"), null);
    assert.equal((await store.getSubject(ref("kept"), "s0"))?.face_count, 1);
    assert.equal((await store.getSubject(ref("doomed", MODEL_B), "s0"))?.face_count, 1);
    await store.addFace(ref("doomed"), "s9", face());
    assert.equal((await store.gallery(ref("doomed"))).faceIds.length, 1);
  }],

  ["one collection name under two model ids never mixes embeddings", async (store) => {
    const a = await store.addFace(ref("shared", MODEL_A), "ann", face(8));
    const b = await store.addFace(ref("shared", MODEL_B), "ann", face(4));
    await store.addFace(ref("shared", MODEL_B), "ben", face(4));
    const ga = await store.gallery(ref("shared", MODEL_A));
    const gb = await store.gallery(ref("shared", MODEL_B));
    assert.equal(ga.dim, 8);
    assert.deepEqual(ga.faceIds, [a.id]);
    assert.equal(gb.dim, 4);
    assert.equal(gb.faceIds.length, 2);
    assert.ok(gb.faceIds.includes(b.id));
    const sa = await store.getSubject(ref("shared", MODEL_A), "ann");
    assert.deepEqual(sa?.faces.map((f) => f.id), [a.id]);
    assert.equal(sa?.faces[0].model, MODEL_A);
    assert.equal((await store.getSubject(ref("shared", MODEL_B), "ann"))?.faces[0].model, MODEL_B);
    assert.equal(await store.getSubject(ref("shared", MODEL_A), "ben"), null);
    assert.deepEqual(
      (await store.listSubjects(ref("shared", MODEL_A))).subjects.map((s) => s.subject),
      ["ann"],
    );
    assert.equal(await store.deleteFace(ref("shared", MODEL_A), "ann", b.id), false);
    assert.equal(await store.deleteSubject(ref("shared", MODEL_B), "ann"), true);
    assert.equal((await store.getSubject(ref("shared", MODEL_A), "ann"))?.face_count, 1);
  }],

  ["gallery() packs every face row by row with its subject", async (store) => {
    const dim = 512;
    const expected = new Map<string, { subject: string; embedding: Float32Array }>();
    for (const [subject, n] of [["zed", 1], ["amy", 3], ["kim", 2]] as const) {
      for (let i = 0; i < n; i++) {
        const rec = await store.addFace(ref("g"), subject, face(dim));
        expected.set(rec.id, { subject, embedding: rec.embedding });
      }
    }
    await store.addFace(ref("other"), "amy", face(dim));
    const g = await store.gallery(ref("g"));
    assert.equal(g.dim, dim);
    assert.deepEqual(g.subjects, ["amy", "kim", "zed"]);
    assert.equal(g.faceIds.length, 6);
    assert.equal(g.subjectIndex.length, 6);
    assert.equal(g.vectors.length, 6 * dim);
    assert.deepEqual(new Set(g.faceIds), new Set(expected.keys()));
    g.faceIds.forEach((id, i) => {
      const want = expected.get(id)!;
      assert.equal(g.subjects[g.subjectIndex[i]], want.subject);
      assert.deepEqual([...g.vectors.subarray(i * dim, (i + 1) * dim)], [...want.embedding]);
    });
    for (let i = 1; i < 6; i++) assert.ok(g.subjectIndex[i] >= g.subjectIndex[i - 1]);
  }],

  ["gallery() of an empty collection has no rows", async (store) => {
    const g = await store.gallery(ref("void"));
    assert.equal(g.faceIds.length, 0);
    assert.equal(g.subjects.length, 0);
    assert.equal(g.vectors.length, 0);
    assert.equal(g.subjectIndex.length, 0);
  }],

  ["50 parallel enrolls of one subject all land with an exact count", async (store) => {
    const recs = await Promise.all(
      Array.from({ length: 50 }, () => store.addFace(ref("busy"), "crowd", face(32))),
    );
    assert.equal(new Set(recs.map((r) => r.id)).size, 50);
    const s = await store.getSubject(ref("busy"), "crowd");
    assert.ok(s);
    assert.equal(s.face_count, 50);
    assert.deepEqual(new Set(s.faces.map((f) => f.id)), new Set(recs.map((r) => r.id)));
    assert.equal((await store.gallery(ref("busy"))).faceIds.length, 50);
    const page = await store.listSubjects(ref("busy"));
    assert.equal(page.subjects[0].face_count, 50);
  }],

  ["parallel enrolls and deletes of one subject leave a consistent count", async (store) => {
    const first = await Promise.all(
      Array.from({ length: 10 }, () => store.addFace(ref("mix"), "m", face())),
    );
    const results = await Promise.all([
      ...first.slice(0, 5).map((r) => store.deleteFace(ref("mix"), "m", r.id)),
      ...Array.from({ length: 10 }, () => store.addFace(ref("mix"), "m", face())),
    ]);
    assert.deepEqual(results.slice(0, 5), [true, true, true, true, true]);
    const s = await store.getSubject(ref("mix"), "m");
    assert.equal(s?.face_count, 15);
    assert.equal(s?.faces.length, 15);
  }],

  ["invalid names are rejected with invalid_request by every method", async (store) => {
    const bad = ["", "has space", "colon:x", "x".repeat(129), "brace{", "ünïcode", "a/b"];
    for (const name of bad) {
      await rejectsWithCode(store.addFace(ref(name), "ann", face()), "invalid_request");
      await rejectsWithCode(store.addFace(ref(), name, face()), "invalid_request");
      await rejectsWithCode(store.getSubject(ref(), name), "invalid_request");
      await rejectsWithCode(store.getSubject(ref(name), "ann"), "invalid_request");
      await rejectsWithCode(store.listSubjects(ref(name)), "invalid_request");
      await rejectsWithCode(store.deleteSubject(ref(), name), "invalid_request");
      await rejectsWithCode(store.deleteFace(ref(), name, "abc"), "invalid_request");
      await rejectsWithCode(store.deleteCollection(ref(name)), "invalid_request");
      await rejectsWithCode(store.gallery(ref(name)), "invalid_request");
    }
    await rejectsWithCode(store.deleteFace(ref(), "ann", "bad id!"), "invalid_request");
    await rejectsWithCode(store.addFace(ref("c", "bad model"), "ann", face()), "invalid_request");
    await rejectsWithCode(store.gallery(ref("c", "")), "invalid_request");
    const longest = "x".repeat(128);
    await store.addFace(ref(longest), longest, face());
    assert.equal((await store.getSubject(ref(longest), longest))?.face_count, 1);
    assert.deepEqual((await store.listSubjects(ref())).subjects, []);
  }],

  [
    "galleryVersion() is null until a write and changes with every write, never with a read",
    async (store) => {
      assert.ok(store.galleryVersion, "every store offers a gallery version");
      const version = () => store.galleryVersion!(ref());
      assert.equal(await version(), null);
      const a = await store.addFace(ref(), "ann", face());
      const v1 = await version();
      assert.equal(typeof v1, "string");
      await store.gallery(ref());
      await store.getSubject(ref(), "ann");
      await store.listSubjects(ref());
      assert.equal(await version(), v1, "reads keep the version");
      assert.equal(await store.galleryVersion!(ref("other")), null, "collections are separate");
      await store.addFace(ref(), "ann", face());
      const v2 = await version();
      assert.notEqual(v2, v1);
      assert.equal(await store.deleteFace(ref(), "ann", "nosuchface"), false);
      assert.equal(await version(), v2, "a delete that removes nothing keeps the version");
      await store.deleteFace(ref(), "ann", a.id);
      const v3 = await version();
      assert.notEqual(v3, v2);
      await store.addFace(ref(), "bob", face());
      const v4 = await version();
      await store.deleteSubject(ref(), "bob");
      const v5 = await version();
      assert.notEqual(v5, v4);
      await store.deleteCollection(ref());
      const v6 = await version();
      assert.notEqual(v6, v5);
      assert.equal((await store.gallery(ref())).faceIds.length, 0);
    },
  ],

  ["addFace() rejects a malformed embedding or quality with RangeError", async (store) => {
    await assert.rejects(store.addFace(ref(), "ann", face(0)), RangeError);
    await assert.rejects(
      store.addFace(ref(), "ann", { embedding: new Float32Array([NaN]), quality: 0.5 }),
      RangeError,
    );
    await assert.rejects(store.addFace(ref(), "ann", face(8, { quality: 1.5 })), RangeError);
    assert.equal(await store.getSubject(ref(), "ann"), null);
  }],

  [
    "addFace() with a given id is idempotent: a retry stores nothing and returns that face",
    async (store) => {
      const first = await store.addFace(ref(), "ann", face(8, { id: "idem_0123456789abcdef" }));
      assert.equal(first.id, "idem_0123456789abcdef");
      const again = await store.addFace(ref(), "ann", face(8, { id: "idem_0123456789abcdef" }));
      assert.equal(again.id, first.id);
      await store.addFace(ref(), "ann", face(8));
      const subject = await store.getSubject(ref(), "ann");
      assert.equal(subject?.face_count, 2);
      assert.equal(subject?.faces.length, 2);
      assert.equal((await store.gallery(ref())).faceIds.length, 2);
      await rejectsWithCode(
        store.addFace(ref(), "ann", face(8, { id: "bad id!" })),
        "invalid_request",
      );
    },
  ],

  [
    "a subject's expiry is set by addFace() or setSubjectExpiry(), shown, cleared and packed",
    async (store) => {
      const soon = "2030-01-02T03:04:05.000Z";
      const a = await store.addFace(ref(), "ann", face(8, { expiresAt: soon }));
      await store.addFace(ref(), "bob", face(8));
      assert.equal((await store.getSubject(ref(), "ann"))?.expires_at, soon);
      assert.equal((await store.getSubject(ref(), "bob"))?.expires_at, undefined);
      const listed = (await store.listSubjects(ref())).subjects;
      assert.deepEqual(listed.map((s) => s.expires_at), [soon, undefined]);
      let g = await store.gallery(ref());
      assert.deepEqual(g.subjects, ["ann", "bob"]);
      assert.deepEqual(Array.from(g.subjectExpiresAt!), [Date.parse(soon), Infinity]);
      const faceTime = g.createdAt![g.faceIds.indexOf(a.id)];
      assert.equal(faceTime, Date.parse(a.created_at));
      // A later face without expiresAt keeps the expiry; with null it is cleared.
      await store.addFace(ref(), "ann", face(8));
      assert.equal((await store.getSubject(ref(), "ann"))?.expires_at, soon);
      await store.addFace(ref(), "ann", face(8, { expiresAt: null }));
      assert.equal((await store.getSubject(ref(), "ann"))?.expires_at, undefined);
      const v1 = await store.galleryVersion!(ref());
      assert.equal(await store.setSubjectExpiry(ref(), "bob", soon), true);
      assert.notEqual(await store.galleryVersion!(ref()), v1, "an expiry change is a write");
      assert.equal((await store.getSubject(ref(), "bob"))?.expires_at, soon);
      g = await store.gallery(ref());
      assert.deepEqual(Array.from(g.subjectExpiresAt!), [Infinity, Date.parse(soon)]);
      assert.equal(await store.setSubjectExpiry(ref(), "bob", null), true);
      assert.equal((await store.getSubject(ref(), "bob"))?.expires_at, undefined);
      assert.equal(await store.setSubjectExpiry(ref(), "nobody", soon), false);
      assert.equal(await store.getSubject(ref(), "nobody"), null, "no subject is created");
      // A deleted subject takes its expiry with it.
      await store.setSubjectExpiry(ref(), "bob", soon);
      await store.deleteSubject(ref(), "bob");
      await store.addFace(ref(), "bob", face(8));
      assert.equal((await store.getSubject(ref(), "bob"))?.expires_at, undefined);
      assert.deepEqual(Array.from((await store.gallery(ref())).subjectExpiresAt!), [
        Infinity,
        Infinity,
      ]);
      await assert.rejects(store.setSubjectExpiry(ref(), "ann", "not a time"), RangeError);
    },
  ],

  [
    "galleryChunks(), where a store has it, yields every face of gallery() once, with its embedding, time and expiry",
    async (store) => {
      if (!store.galleryChunks) return; // optional: callers fall back to gallery()
      const soon = "2030-01-02T03:04:05.000Z";
      for (let i = 0; i < 9; i++) {
        await store.addFace(ref(), `s${i % 4}`, face(8, i === 0 ? { expiresAt: soon } : {}));
      }
      await assertChunksMatchGallery(store, ref(), 9);
      const none: Gallery[] = [];
      for await (const c of store.galleryChunks(ref("empty"))) none.push(c);
      assert.equal(none.reduce((n, c) => n + c.faceIds.length, 0), 0);
    },
  ],

  ["listCollections() lists the collections holding faces, of every model", async (store) => {
    assert.deepEqual(await store.listCollections(), []);
    await store.addFace(ref("staff"), "ann", face());
    await store.addFace(ref("lobby"), "bob", face());
    await store.addFace(ref("staff", MODEL_B), "cy", face());
    const key = (r: CollectionRef) => `${r.model}|${r.collection}`;
    const listed = (await store.listCollections()).map(key).sort();
    assert.deepEqual(listed, [ref("lobby"), ref("staff"), ref("staff", MODEL_B)].map(key).sort());
    await store.deleteCollection(ref("lobby"));
    await store.deleteSubject(ref("staff", MODEL_B), "cy");
    assert.deepEqual(
      (await store.listCollections()).map(key),
      [key(ref("staff"))],
      "emptied ones go",
    );
  }],
];

/**
 * Runs every contract case as a step of the current test, each on a fresh store from `makeStore`.
 *
 * @param t The test context to add steps to.
 * @param makeStore Makes a fresh, empty store and its cleanup.
 */
export async function faceStoreContractSteps(
  t: Deno.TestContext,
  makeStore: MakeStore,
): Promise<void> {
  for (const [name, fn] of cases) {
    await t.step(name, async () => {
      const { store, cleanup } = await makeStore();
      try {
        await fn(store);
      } finally {
        await cleanup();
      }
    });
  }
}

/**
 * Registers one test, named `name`, that runs the whole contract against stores from `makeStore`.
 *
 * @param name Test name, e.g. `"MemoryFaceStore satisfies the FaceStore contract"`.
 * @param makeStore Makes a fresh, empty store and its cleanup.
 */
export function runFaceStoreContract(name: string, makeStore: MakeStore): void {
  Deno.test(name, (t) => faceStoreContractSteps(t, makeStore));
}

/**
 * Asserts that `store.galleryChunks(r)` yields the `faces` faces of `store.gallery(r)` exactly once
 * each, with the same embedding, creation time and subject expiry.
 */
export async function assertChunksMatchGallery(
  store: FaceStore,
  r: CollectionRef,
  faces: number,
): Promise<number> {
  const whole = await store.gallery(r);
  assert.equal(whole.faceIds.length, faces);
  const seen = new Map<string, { embedding: number[]; created: number; expires: number }>();
  let chunks = 0;
  for await (const c of store.galleryChunks!(r)) {
    chunks++;
    c.faceIds.forEach((id, i) => {
      assert.ok(!seen.has(id), `face ${id} in two chunks`);
      seen.set(id, {
        embedding: [...c.vectors.subarray(i * c.dim, (i + 1) * c.dim)],
        created: c.createdAt![i],
        expires: c.subjectExpiresAt![c.subjectIndex[i]],
      });
    });
  }
  assert.equal(seen.size, faces);
  whole.faceIds.forEach((id, i) => {
    const got = seen.get(id);
    assert.ok(got, `face ${id} in no chunk`);
    assert.deepEqual(got.embedding, [
      ...whole.vectors.subarray(i * whole.dim, (i + 1) * whole.dim),
    ]);
    assert.equal(got.created, whole.createdAt![i]);
    assert.equal(got.expires, whole.subjectExpiresAt![whole.subjectIndex[i]]);
  });
  return chunks;
}
