import assert from "node:assert/strict";
import { ByteBudget, ConcurrencyGate, readBoundedBody } from "../../../lib/limits/mod.ts";

/** A stream that yields `chunks` (each after `gapMs`) and then either ends or stalls forever. */
function trickle(
  chunks: Uint8Array[],
  { gapMs = 0, end = true, onPull }: { gapMs?: number; end?: boolean; onPull?: () => void } = {},
): ReadableStream<Uint8Array> {
  let i = 0;
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream({
    async pull(controller) {
      onPull?.();
      if (i < chunks.length) {
        if (gapMs > 0) await new Promise((r) => timer = setTimeout(r, gapMs));
        if (!cancelled) controller.enqueue(chunks[i++]);
        return;
      }
      if (end) controller.close();
      else await new Promise<void>((r) => timer = setTimeout(r, 60_000)); // stall (cancelled below)
    },
    cancel() {
      cancelled = true;
      clearTimeout(timer);
    },
  });
}

const bytes = (n: number) => new Uint8Array(n).fill(7);

Deno.test("readBoundedBody() accepts a body of exactly maxBytes and refuses one byte more", async () => {
  const at = await readBoundedBody(trickle([bytes(600), bytes(400)]), { maxBytes: 1000 });
  assert.equal(at.bytes.length, 1000);
  const under = await readBoundedBody(trickle([bytes(999)]), { maxBytes: 1000 });
  assert.equal(under.bytes.length, 999);
  await assert.rejects(
    readBoundedBody(trickle([bytes(600), bytes(401)]), { maxBytes: 1000 }),
    (err: Error & { code?: string; details?: Record<string, unknown> }) =>
      err.code === "payload_too_large" && err.details?.limit === 1000,
  );
});

Deno.test("readBoundedBody() refuses a declared length over the limit before reading a byte", async () => {
  let pulls = 0;
  const stream = trickle([bytes(10)], { onPull: () => pulls++ });
  await assert.rejects(
    readBoundedBody(stream, { maxBytes: 1000, declaredLength: 20_000_000 }),
    { code: "payload_too_large" },
  );
  assert.equal(pulls, 0);
  // At the limit the declared length is fine (and the bytes are what counts).
  const ok = await readBoundedBody(trickle([bytes(1000)]), {
    maxBytes: 1000,
    declaredLength: 1000,
  });
  assert.equal(ok.bytes.length, 1000);
});

Deno.test("readBoundedBody() times out a stalled body (idle) and a trickling one (total)", async () => {
  await assert.rejects(
    readBoundedBody(trickle([bytes(10)], { end: false }), { maxBytes: 1000, idleTimeoutMs: 50 }),
    (err: Error & { code?: string; details?: Record<string, unknown> }) =>
      err.code === "request_timeout" && err.details?.received === 10 &&
      /no data arrived/.test(err.message),
  );
  const slow = trickle(Array.from({ length: 50 }, () => bytes(1)), { gapMs: 20 });
  await assert.rejects(
    readBoundedBody(slow, { maxBytes: 1000, idleTimeoutMs: 200, totalTimeoutMs: 150 }),
    (err: Error & { code?: string }) =>
      err.code === "request_timeout" && /did not arrive within/.test(err.message),
  );
});

Deno.test("readBoundedBody() accepts a slow body whose gaps and total stay under the timeouts", async () => {
  // Under both limits by a wide margin (a loaded machine stretches timers, never shortens them).
  const slow = trickle(Array.from({ length: 10 }, () => bytes(3)), { gapMs: 20 });
  const read = await readBoundedBody(slow, {
    maxBytes: 1000,
    idleTimeoutMs: 2_000,
    totalTimeoutMs: 20_000,
  });
  assert.equal(read.bytes.length, 30);
  // The idle timer restarts with every chunk: 30 gaps of 50 ms pass an idle limit of 1 s although
  // their sum (1.5 s) is over it.
  const steady = trickle(Array.from({ length: 30 }, () => bytes(1)), { gapMs: 50 });
  const ok = await readBoundedBody(steady, { maxBytes: 1000, idleTimeoutMs: 1_000 });
  assert.equal(ok.bytes.length, 30);
});

Deno.test("readBoundedBody() reports a failing stream as client_closed_request", async () => {
  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes(5));
      controller.error(new Error("connection reset"));
    },
  });
  await assert.rejects(readBoundedBody(broken, { maxBytes: 100 }), {
    code: "client_closed_request",
  });
});

Deno.test("readBoundedBody() reserves arriving bytes in a shared budget and releases them", async () => {
  const budget = new ByteBudget(1500);
  const first = await readBoundedBody(trickle([bytes(1000)]), { maxBytes: 1000, budget });
  assert.equal(budget.used, 1000);
  await assert.rejects(
    readBoundedBody(trickle([bytes(400), bytes(200)]), { maxBytes: 1000, budget }),
    { code: "overloaded" },
  );
  assert.equal(budget.used, 1000, "a refused body gives its bytes back");
  first.release();
  first.release();
  assert.equal(budget.used, 0);
  const second = await readBoundedBody(trickle([bytes(400), bytes(200)]), {
    maxBytes: 1000,
    budget,
  });
  assert.equal(budget.used, 600);
  second.release();
});

Deno.test("ConcurrencyGate runs at most limit at once, queues FIFO and refuses beyond the queue", async () => {
  const gate = new ConcurrencyGate({ limit: 2, queue: 1, retryAfterSeconds: 3 });
  const a = await gate.acquire();
  const b = await gate.acquire();
  const order: string[] = [];
  const c = gate.acquire().then((leave) => {
    order.push("c");
    return leave;
  });
  assert.equal(gate.running, 2);
  assert.equal(gate.waiting, 1);
  await assert.rejects(
    gate.acquire(),
    (err: Error & { code?: string; details?: Record<string, unknown> }) =>
      err.code === "overloaded" && err.details?.retry_after === 3,
  );
  a();
  a(); // a second release is a no-op
  const leaveC = await c;
  assert.deepEqual(order, ["c"]);
  assert.equal(gate.running, 2);
  b();
  leaveC();
  assert.equal(gate.running, 0);
  assert.throws(() => new ConcurrencyGate({ limit: 0, queue: 0 }), RangeError);
});
