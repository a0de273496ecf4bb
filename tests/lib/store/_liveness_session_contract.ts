/**
 * The contract of every {@linkcode LivenessSessionStore}: run on memory and Deno KV here and on
 * Upstash through the bridge to redis-server (`tests/integration/upstash_liveness_session_test.ts`).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { LivenessSessionStore, StoredLivenessSession } from "../../../lib/store/mod.ts";

/** A fresh session record. */
export function sessionRecord(id = crypto.randomUUID().replaceAll("-", "")): StoredLivenessSession {
  const now = Date.now();
  return {
    id,
    nonce: "n".repeat(22),
    challenge: ["turn_left", "blink"],
    model: "fr_feature@faceplugin-0.0.1+noflip",
    created_at: now,
    expires_at: now + 120_000,
  };
}

/** Each case of the contract, by title. */
export const LIVENESS_SESSION_CASES: [string, (store: LivenessSessionStore) => Promise<void>][] = [
  ["put then get returns the session; an unknown id is null", async (store) => {
    const s = sessionRecord();
    await store.put(s, 60_000);
    assert.deepEqual(await store.get(s.id), s);
    assert.equal(await store.get(sessionRecord().id), null);
  }],
  ["put replaces the session (a passed burst)", async (store) => {
    const s = sessionRecord();
    await store.put(s, 60_000);
    const passed = {
      ...s,
      passed: { embedding: "AAE=", scale: 0.01, score: 0.9, token_expires_at: s.created_at + 1 },
    };
    await store.put(passed, 60_000);
    assert.deepEqual(await store.get(s.id), passed);
  }],
  ["a session is gone after its TTL", async (store) => {
    const s = sessionRecord();
    await store.put(s, 50);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(await store.get(s.id), null);
  }],
  ["claim succeeds once per step, and concurrent claims have one winner", async (store) => {
    const s = sessionRecord();
    assert.equal(await store.claim(s.id, "frames", 60_000), true);
    assert.equal(await store.claim(s.id, "frames", 60_000), false);
    assert.equal(await store.claim(s.id, "token", 60_000), true);
    const other = sessionRecord();
    const wins = await Promise.all([1, 2, 3, 4].map(() => store.claim(other.id, "token", 60_000)));
    assert.equal(wins.filter(Boolean).length, 1);
  }],
  ["ids outside [A-Za-z0-9_-]{16,64} are refused with invalid_liveness_session", async (store) => {
    await assert.rejects(() => store.get("short"), { code: "invalid_liveness_session" });
    await assert.rejects(() => store.claim("a:b:c:d:e:f:g:h:i", "frames", 1000), {
      code: "invalid_liveness_session",
    });
  }],
];

/** Registers the contract for one implementation. */
export function runLivenessSessionContract(
  name: string,
  open: () => Promise<{ store: LivenessSessionStore; cleanup: () => Promise<void> }>,
): void {
  Deno.test(`${name} satisfies the LivenessSessionStore contract`, async (t) => {
    for (const [title, body] of LIVENESS_SESSION_CASES) {
      await t.step(title, async () => {
        const { store, cleanup } = await open();
        try {
          await body(store);
        } finally {
          await cleanup();
        }
      });
    }
  });
}
