/**
 * The contract every {@linkcode IdempotencyStore} must satisfy, run against each implementation
 * (memory and Deno KV in `idempotency_store_test.ts`, Upstash in the Redis integration tests).
 * Expiry is tested with real short leases, so every implementation runs the same cases.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { IdempotencyStore, StoredResponse } from "../../../lib/store/mod.ts";
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
