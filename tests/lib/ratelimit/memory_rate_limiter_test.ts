import assert from "node:assert/strict";
import { MemoryRateLimiter } from "../../../lib/ratelimit/mod.ts";

function limiter(limit: number, start = 0) {
  const clock = { t: start };
  return { clock, l: new MemoryRateLimiter({ limit, now: () => clock.t }) };
}

async function allowed(l: MemoryRateLimiter, id: string, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if ((await l.limit(id)).allowed) ok++;
  return ok;
}

Deno.test("MemoryRateLimiter allows `limit` requests per window and then refuses with Retry-After", async () => {
  const { clock, l } = limiter(3, 60_000 * 10 + 15_000);
  const first = await l.limit("k");
  assert.deepEqual(first, { allowed: true, limit: 3, remaining: 2, retryAfterSeconds: 45 });
  assert.equal((await l.limit("k")).remaining, 1);
  assert.equal((await l.limit("k")).remaining, 0);
  clock.t += 500;
  assert.deepEqual(await l.limit("k"), {
    allowed: false,
    limit: 3,
    remaining: 0,
    retryAfterSeconds: 45,
  });
  clock.t += 44_000;
  assert.equal((await l.limit("k")).retryAfterSeconds, 1);
});

Deno.test("MemoryRateLimiter counts identifiers separately", async () => {
  const { l } = limiter(2);
  assert.equal(await allowed(l, "a", 5), 2);
  assert.equal(await allowed(l, "b", 5), 2);
});

Deno.test("MemoryRateLimiter weighs the previous window by the part of it still inside the sliding window", async () => {
  const { clock, l } = limiter(10);
  assert.equal(await allowed(l, "k", 10), 10); // window 0 full
  clock.t = 60_000 + 15_000; // 25% into window 1: 75% of 10 = 7 previous requests still count
  assert.equal(await allowed(l, "k", 10), 3);
  clock.t = 60_000 + 45_000; // 75% in: floor(25% of 10) = 2 still count, 3 already used here
  assert.equal(await allowed(l, "k", 10), 5);
  clock.t = 3 * 60_000; // two windows later, nothing counts
  assert.equal(await allowed(l, "k", 20), 10);
});

Deno.test("MemoryRateLimiter does not count refused requests", async () => {
  const { clock, l } = limiter(2);
  assert.equal(await allowed(l, "k", 50), 2);
  clock.t = 60_000; // start of the next window: the previous one counts fully (2)
  assert.equal(await allowed(l, "k", 5), 0);
  clock.t = 60_000 + 30_000; // half: floor(0.5 * 2) = 1 counts
  assert.equal(await allowed(l, "k", 5), 1);
});

Deno.test("MemoryRateLimiter keeps counting correctly after sweeping stale identifiers at maxEntries", async () => {
  const clock = { t: 0 };
  const l = new MemoryRateLimiter({ limit: 1, now: () => clock.t, maxEntries: 2 });
  await l.limit("a");
  await l.limit("b");
  clock.t = 5 * 60_000;
  await l.limit("c"); // sweeps a and b
  assert.equal((await l.limit("a")).allowed, true);
  assert.equal((await l.limit("a")).allowed, false);
  assert.equal((await l.limit("c")).allowed, false);
});

Deno.test("MemoryRateLimiter refuses a limit or window below 1", () => {
  assert.throws(() => new MemoryRateLimiter({ limit: 0 }), RangeError);
  assert.throws(() => new MemoryRateLimiter({ limit: 1, windowMs: 0 }), RangeError);
});
