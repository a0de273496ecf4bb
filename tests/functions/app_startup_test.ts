import assert from "node:assert/strict";
import { startOnce, startupFailure } from "../../functions/_app_startup.ts";

Deno.test("startOnce() shares one start between concurrent calls and retries after a failure", async () => {
  let runs = 0;
  let fail = true;
  const ready = startOnce(async (n: number) => {
    runs++;
    await new Promise((r) => setTimeout(r, 5));
    if (fail) throw new Error("bad configuration");
    return n * 2;
  });
  const first = await Promise.allSettled([ready(1), ready(2)]);
  assert.deepEqual(first.map((r) => r.status), ["rejected", "rejected"]);
  assert.equal(runs, 1, "concurrent calls share the one start");
  fail = false;
  assert.equal(await ready(3), 6, "a failed start is retried");
  assert.equal(await ready(4), 6, "a started app is kept");
  assert.equal(runs, 2);
});

Deno.test("startupFailure() answers a generic 500 problem with a request id, never the reason", async () => {
  const res = startupFailure("facegate cannot start", new Error("FACEGATE_MASTER_KEY secret-ish"));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const text = await res.text();
  assert.ok(!text.includes("secret-ish"));
  assert.match(JSON.parse(text).request_id, /^[0-9a-f-]{36}$/);
});
