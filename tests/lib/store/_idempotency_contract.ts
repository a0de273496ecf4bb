/**
 * The contract every {@linkcode IdempotencyStore} must satisfy, run against each implementation
 * (memory and Deno KV in `idempotency_store_test.ts`, Upstash in the Redis integration tests).
 * Expiry is tested with real short leases, so every implementation runs the same cases.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type IdempotencyMentions,
  type IdempotencyRef,
  type IdempotencyStore,
  MAX_MENTIONED_SUBJECTS,
  type StoredResponse,
} from "../../../lib/store/mod.ts";
import { rejectsWithCode } from "./_contract.ts";

/** A fresh store and how to dispose of it. */
export interface IdempotencyFixture {
  store: IdempotencyStore;
  cleanup: () => Promise<void>;
}

const RESPONSE: StoredResponse = {
  status: 201,
  content_type: "application/json",
  body: '{"ok":true}',
};
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Mentions of `subjects` (`"ann"` or `"ann/f1/f2"`: a subject with the faces named). */
function names(collection: string, ...subjects: string[]): IdempotencyMentions {
  return {
    collection,
    subjects: subjects.map((s) => {
      const [subject, ...faces] = s.split("/");
      return { subject, faces };
    }),
  };
}

/** Claims and completes `key` with an answer naming `mentions`; returns its ref. */
async function answered(
  store: IdempotencyStore,
  key: string,
  mentions?: IdempotencyMentions,
  ttlMs = HOUR,
): Promise<IdempotencyRef> {
  const ref = { scope: "write", key };
  const claim = await store.claim(ref, `fp-${key}`, HOUR);
  assert.ok(claim.claimed, key);
  const body = JSON.stringify(mentions?.subjects ?? { nobody: true });
  const response = { status: 201, content_type: "application/json", body };
  assert.equal(await store.complete(ref, claim.token, response, ttlMs, mentions), true);
  return ref;
}

/** The state a new claim of `ref` sees ("claimed" when the key was free). */
async function stateOf(store: IdempotencyStore, ref: IdempotencyRef): Promise<string> {
  const c = await store.claim(ref, `fp-${ref.key}`, HOUR);
  if (c.claimed) {
    await store.release(ref, c.token);
    return "claimed";
  }
  if (c.record.state === "erased") {
    assert.equal(c.record.fingerprint, `fp-${ref.key}`, "the tombstone keeps the fingerprint");
    assert.equal(typeof c.record.erased_at, "string");
    assert.ok(!("response" in c.record), "the tombstone holds no answer");
  }
  return c.record.state;
}

/** The contract cases as `[name, body]`, for runners that group them in one test. */
export const IDEMPOTENCY_CASES: Array<[string, (store: IdempotencyStore) => Promise<void>]> = [
  ["the first claim wins and later ones see the pending record", async (store) => {
    const ref = { scope: "webhook", key: "msg_1" };
    const first = await store.claim(ref, "fp-a", HOUR);
    assert.equal(first.claimed, true);
    const second = await store.claim(ref, "fp-b", HOUR);
    assert.equal(second.claimed, false);
    assert.ok(!second.claimed && second.record.state === "pending");
    assert.equal(!second.claimed && second.record.fingerprint, "fp-a");
    // Other keys and scopes are independent.
    assert.equal((await store.claim({ scope: "webhook", key: "msg_2" }, "x", HOUR)).claimed, true);
    assert.equal((await store.claim({ scope: "other", key: "msg_1" }, "x", HOUR)).claimed, true);
  }],
  ["complete() stores the response that later claims replay", async (store) => {
    const ref = { scope: "webhook", key: "msg:with.odd=chars/+" };
    const claim = await store.claim(ref, "fp", HOUR);
    assert.ok(claim.claimed);
    assert.equal(await store.complete(ref, claim.token, RESPONSE, HOUR), true);
    const again = await store.claim(ref, "fp", HOUR);
    assert.ok(!again.claimed && again.record.state === "done");
    assert.deepEqual(again.record.response, RESPONSE);
    assert.equal(again.record.fingerprint, "fp");
    assert.equal(typeof again.record.completed_at, "string");
    // The lease is gone: completing or releasing twice fails.
    assert.equal(await store.complete(ref, claim.token, RESPONSE, HOUR), false);
    assert.equal(await store.release(ref, claim.token), false);
  }],
  ["complete() and release() need the owner's token", async (store) => {
    const ref = { scope: "webhook", key: "msg_3" };
    const claim = await store.claim(ref, "fp", HOUR);
    assert.ok(claim.claimed);
    assert.equal(await store.complete(ref, "not-the-token", RESPONSE, HOUR), false);
    assert.equal(await store.release(ref, "not-the-token"), false);
    assert.equal(
      await store.complete({ scope: "webhook", key: "absent" }, claim.token, RESPONSE, HOUR),
      false,
    );
    assert.equal((await store.claim(ref, "fp", HOUR)).claimed, false);
  }],
  ["release() lets the key be claimed again", async (store) => {
    const ref = { scope: "webhook", key: "msg_4" };
    const claim = await store.claim(ref, "fp", HOUR);
    assert.ok(claim.claimed);
    assert.equal(await store.release(ref, claim.token), true);
    assert.equal((await store.claim(ref, "fp", HOUR)).claimed, true);
  }],
  ["exactly one of many concurrent claims wins", async (store) => {
    const ref = { scope: "webhook", key: "msg_race" };
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => store.claim(ref, `fp${i}`, HOUR)),
    );
    assert.equal(claims.filter((c) => c.claimed).length, 1);
  }],
  [
    "an expired lease can be claimed again and the old owner can no longer complete",
    async (store) => {
      const ref = { scope: "webhook", key: "msg_lease" };
      const old = await store.claim(ref, "fp", 60);
      assert.ok(old.claimed);
      await sleep(150);
      const fresh = await store.claim(ref, "fp", HOUR);
      assert.ok(fresh.claimed);
      assert.equal(await store.complete(ref, old.token, RESPONSE, HOUR), false);
      assert.equal(await store.complete(ref, fresh.token, RESPONSE, HOUR), true);
    },
  ],
  ["a completed record expires after its TTL", async (store) => {
    const ref = { scope: "webhook", key: "msg_ttl" };
    const claim = await store.claim(ref, "fp", HOUR);
    assert.ok(claim.claimed);
    assert.equal(await store.complete(ref, claim.token, RESPONSE, 60), true);
    await sleep(150);
    assert.equal((await store.claim(ref, "fp", HOUR)).claimed, true);
  }],
  ["erase() of a subject erases every answer naming it and no other", async (store) => {
    const ann = await answered(store, "ann", names("lobby", "ann/f1"));
    const both = await answered(store, "both", names("lobby", "ann", "bob/f9"));
    const bob = await answered(store, "bob", names("lobby", "bob/f9"));
    const elsewhere = await answered(store, "elsewhere", names("hall", "ann/f1"));
    const nobody = await answered(store, "nobody");
    assert.equal(await store.erase({ collection: "lobby", subject: "ann" }), 2);
    assert.equal(await stateOf(store, ann), "erased");
    assert.equal(await stateOf(store, both), "erased");
    for (const ref of [bob, elsewhere, nobody]) {
      assert.equal(await stateOf(store, ref), "done", ref.key);
    }
    // Erasing again finds nothing; bob's own answer goes with bob, the shared one is not counted
    // twice (its index entries all went with the first erasure).
    assert.equal(await store.erase({ collection: "lobby", subject: "ann" }), 0);
    assert.equal(await store.erase({ collection: "lobby", subject: "bob" }), 1);
    assert.equal(await stateOf(store, bob), "erased");
    assert.equal(await store.erase({ collection: "lobby", subject: "nobody" }), 0);
  }],
  ["erase() of a face erases only the answers naming that face", async (store) => {
    const f1 = await answered(store, "f1", names("lobby", "ann/f1"));
    const f2 = await answered(store, "f2", names("lobby", "ann/f2"));
    const noFace = await answered(store, "no-face", names("lobby", "ann"));
    const target = { collection: "lobby", subject: "ann" };
    assert.equal(await store.erase({ ...target, faceId: "f1" }), 1);
    assert.equal(await stateOf(store, f1), "erased");
    assert.equal(await stateOf(store, f2), "done");
    assert.equal(await stateOf(store, noFace), "done");
    assert.equal(await store.erase({ ...target, faceId: "f1" }), 0);
    assert.equal(await store.erase(target), 2);
    assert.equal(await stateOf(store, f2), "erased");
    await assert.rejects(
      store.erase({ collection: "lobby", faceId: "f1" }),
      RangeError,
    );
  }],
  ["erase() of a collection erases the answers naming any of its subjects", async (store) => {
    const ann = await answered(store, "ann", names("lobby", "ann/f1"));
    const bob = await answered(store, "bob", names("lobby", "bob"));
    const hall = await answered(store, "hall", names("hall", "ann/f1"));
    assert.equal(await store.erase({ collection: "lobby" }), 2);
    assert.equal(await stateOf(store, ann), "erased");
    assert.equal(await stateOf(store, bob), "erased");
    assert.equal(await stateOf(store, hall), "done");
    assert.equal(await store.erase({ collection: "lobby" }), 0);
    assert.equal(await store.erase({ collection: "empty" }), 0);
  }],
  ["an erased answer keeps its expiry; then the key is free again", async (store) => {
    const ref = await answered(store, "short", names("lobby", "ann"), 400);
    assert.equal(await store.erase({ collection: "lobby", subject: "ann" }), 1);
    assert.equal(await stateOf(store, ref), "erased");
    await sleep(600);
    assert.equal(await stateOf(store, ref), "claimed");
  }],
  [
    "a key reused after its answer expired is not erased for a subject it no longer names",
    async (store) => {
      await answered(store, "reused", names("lobby", "ann"), 60);
      await sleep(150);
      const ref = await answered(store, "reused", names("lobby", "bob"));
      assert.equal(await store.erase({ collection: "lobby", subject: "ann" }), 0);
      assert.equal(await stateOf(store, ref), "done");
      assert.equal(await store.erase({ collection: "lobby" }), 1);
    },
  ],
  [
    `an answer names at most ${MAX_MENTIONED_SUBJECTS} subjects, each a valid name`,
    async (store) => {
      const many = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
      const ref = { scope: "write", key: "many" };
      const claim = await store.claim(ref, "fp-many", HOUR);
      assert.ok(claim.claimed);
      for (const bad of [names("lobby", ...many(MAX_MENTIONED_SUBJECTS + 1)), names("lobby")]) {
        await assert.rejects(store.complete(ref, claim.token, RESPONSE, HOUR, bad), RangeError);
      }
      await assert.rejects(
        store.complete(ref, claim.token, RESPONSE, HOUR, names("lobby", "a b")),
        RangeError,
      );
      await assert.rejects(
        store.complete(ref, claim.token, RESPONSE, HOUR, names("lobby", "ann/f:1")),
        RangeError,
      );
      assert.equal((await store.claim(ref, "fp-many", HOUR)).claimed, false, "still pending");
      const at = names("lobby", ...many(MAX_MENTIONED_SUBJECTS - 1), "last/f1");
      assert.equal(await store.complete(ref, claim.token, RESPONSE, HOUR, at), true);
      const target = { collection: "lobby", subject: "last" };
      assert.equal(await store.erase({ ...target, faceId: "f1" }), 1);
      assert.equal(await stateOf(store, ref), "erased");
      // Every other subject's index entry went with it.
      assert.equal(await store.erase({ collection: "lobby" }), 0);
    },
  ],
  ["invalid scopes and keys are refused with invalid_request", async (store) => {
    await rejectsWithCode(
      store.claim({ scope: "Web Hook", key: "k" }, "fp", HOUR),
      "invalid_request",
    );
    await rejectsWithCode(
      store.claim({ scope: "webhook", key: "" }, "fp", HOUR),
      "invalid_request",
    );
    await rejectsWithCode(
      store.claim({ scope: "webhook", key: "a b" }, "fp", HOUR),
      "invalid_request",
    );
    await rejectsWithCode(
      store.claim({ scope: "webhook", key: "k".repeat(257) }, "fp", HOUR),
      "invalid_request",
    );
  }],
];

/**
 * Registers one `Deno.test` per contract case, each on a fresh store from `make`.
 *
 * @param name Prefix of the test names, e.g. `"MemoryIdempotencyStore"`.
 * @param make Makes a fresh, empty store.
 */
export function runIdempotencyContract(
  name: string,
  make: () => Promise<IdempotencyFixture>,
): void {
  for (const [title, body] of IDEMPOTENCY_CASES) {
    Deno.test(`${name}: ${title}`, async () => {
      const { store, cleanup } = await make();
      try {
        await body(store);
      } finally {
        await cleanup();
      }
    });
  }
}
