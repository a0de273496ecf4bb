import assert from "node:assert/strict";
import { createLimits, routeBounds, SMALL_BODY_BYTES } from "../../functions/_limits.ts";
import { declaredRoutes } from "../../functions/app.ts";
import { validateName } from "../../lib/store/mod.ts";
import { assertProblem, makeApp, PHOTOS, readData } from "./_fixtures.ts";

const ENV = {
  FACEGATE_MAX_BODY_BYTES: "1000",
  FACEGATE_BODY_IDLE_TIMEOUT_MS: "100",
  FACEGATE_BODY_TIMEOUT_MS: "2000",
};

/** A body stream that sends `n` bytes and then stalls until cancelled. */
function stalling(n: number): ReadableStream<Uint8Array> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(new Uint8Array(n));
        return;
      }
      await new Promise((r) => timer = setTimeout(r, 30_000));
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

function post(path: string, body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request(`http://facegate.test${path}`, {
    method: "POST",
    headers: { "content-type": "image/jpeg", ...headers },
    body,
  });
}

Deno.test("routeBounds() gives the webhook and non-image routes 64 KiB and image routes the configured limit", () => {
  const config = { maxBodyBytes: 5_000_000 };
  // The webhook takes the pipeline gate in its route, once its signature is verified.
  assert.deepEqual(routeBounds("webhook", config), {
    maxBodyBytes: SMALL_BODY_BYTES,
    pipeline: false,
    webhook: true,
  });
  assert.deepEqual(routeBounds("image", config), { maxBodyBytes: 5_000_000, pipeline: true });
  assert.deepEqual(routeBounds("frames", config), { maxBodyBytes: 5_000_000, pipeline: true });
  assert.deepEqual(routeBounds("small", config), {
    maxBodyBytes: SMALL_BODY_BYTES,
    pipeline: false,
  });
});

Deno.test("the webhook, the image routes and the frames route declare their body limit class; the rest are small", () => {
  const { app } = makeApp({ env: ENV });
  const limits = Object.fromEntries(
    declaredRoutes(app).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.limit ?? "small"]),
  );
  assert.equal(limits["POST /v1/webhooks/upload"], "webhook");
  for (
    const path of [
      "/v1/detect",
      "/v1/preview",
      "/v1/embed",
      "/v1/compare",
      "/v1/liveness",
      "/v1/collections/:collection/identify",
      "/v1/collections/:collection/subjects/:subject/faces",
      "/v1/collections/:collection/subjects/:subject/verify",
    ]
  ) assert.equal(limits[`POST ${path}`], "image", path);
  assert.equal(limits["POST /v1/liveness/sessions/:session_id/frames"], "frames");
  assert.equal(limits["PUT /v1/collections/:collection/policy"], "small");
  assert.equal(limits["DELETE /v1/collections/:collection"], "small");
  assert.equal(Object.values(limits).filter((l) => l !== "small").length, 10);
});

Deno.test("an image route answers 413 at once for a declared length over the limit, and closes", async () => {
  const { app, logs } = makeApp({ env: ENV });
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(100));
    },
  });
  const res = await app.request(post("/v1/detect", body, { "content-length": "20000000" }));
  const problem = await assertProblem(res, 413, "payload_too_large");
  assert.equal(problem.limit, 1000);
  assert.equal(res.headers.get("connection"), "close");
  assert.ok(pulls <= 1, `read ${pulls} chunks of a body that was refused by its declared length`);
  assert.equal(logs.filter((l) => l.level === "error").length, 0);
});

Deno.test("an image route takes a body of exactly the limit and refuses one byte more while streaming", async () => {
  const { app } = makeApp({ env: ENV });
  const stream = (n: number) => new Response(new Uint8Array(n).fill(1)).body!;
  // At the limit the body is read and reaches the decoder (garbage bytes: invalid_image).
  await assertProblem(await app.request(post("/v1/detect", stream(1000))), 400, "invalid_image");
  await assertProblem(await app.request(post("/v1/detect", stream(999))), 400, "invalid_image");
  const over = await app.request(post("/v1/detect", stream(1001)));
  await assertProblem(over, 413, "payload_too_large");
  assert.equal(over.headers.get("connection"), "close");
});

Deno.test("the webhook refuses a body over 64 KiB before checking anything else", async () => {
  const { app } = makeApp({ env: ENV });
  const big = new Uint8Array(SMALL_BODY_BYTES + 1).fill(32);
  const res = await app.request(
    post("/v1/webhooks/upload", new Response(big).body!, { "content-type": "application/json" }),
  );
  const problem = await assertProblem(res, 413, "payload_too_large");
  assert.equal(problem.limit, SMALL_BODY_BYTES);
  // Exactly 64 KiB is read (then refused for another reason: webhooks are off here).
  const at = await app.request(
    post("/v1/webhooks/upload", new Response(big.subarray(1)).body!, {
      "content-type": "application/json",
    }),
  );
  assert.notEqual(at.status, 413);
});

Deno.test("a body that stalls gets 408 request_timeout and Connection: close", async () => {
  const { app, logs } = makeApp({ env: ENV });
  const res = await app.request(post("/v1/detect", stalling(10)));
  const problem = await assertProblem(res, 408, "request_timeout");
  assert.equal(problem.timeout_ms, 100);
  assert.equal(problem.received, 10);
  assert.equal(res.headers.get("connection"), "close");
  assert.equal(logs.filter((l) => l.level === "error").length, 0);
});

Deno.test("a client that goes away mid-body is logged as 499 at info level, never as a 500", async () => {
  const { app, logs } = makeApp({ env: ENV });
  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error("connection reset by peer"));
    },
  });
  const res = await app.request(post("/v1/detect", broken));
  await assertProblem(res, 499, "client_closed_request");
  assert.equal(logs.filter((l) => l.level === "error").length, 0);
  const line = logs.find((l) => l.msg === "request");
  assert.equal(line?.status, 499);
});

Deno.test("pipeline requests beyond the gate and its queue get 503 overloaded with Retry-After", async () => {
  const limits = createLimits({ maxConcurrent: 1, maxQueued: 1, maxInflightBodyBytes: 1 << 20 });
  const { app } = makeApp({ env: ENV, limits });
  const hold = await limits.gate.acquire(); // the one slot is busy
  const queued = app.request(post("/v1/detect", new Uint8Array(10)));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(limits.gate.waiting, 1);
  const refused = await app.request(post("/v1/detect", new Uint8Array(10)));
  const problem = await assertProblem(refused, 503, "overloaded");
  assert.equal(problem.retry_after, 1);
  assert.equal(refused.headers.get("retry-after"), "1");
  // Requests that do not run the pipeline are not gated.
  assert.equal((await app.request("/healthz")).status, 200);
  hold();
  await assertProblem(await queued, 400, "invalid_image");
  assert.equal(limits.gate.running, 0);
});

Deno.test("bodies beyond the process-wide body budget get 503 overloaded", async () => {
  const limits = createLimits({ maxConcurrent: 4, maxQueued: 4, maxInflightBodyBytes: 1000 });
  const { app } = makeApp({ env: ENV, limits });
  assert.ok(limits.bodies.tryReserve(995));
  await assertProblem(
    await app.request(post("/v1/detect", new Uint8Array(10))),
    503,
    "overloaded",
  );
  limits.bodies.release(995);
  await assertProblem(
    await app.request(post("/v1/detect", new Uint8Array(10))),
    400,
    "invalid_image",
  );
  assert.equal(limits.bodies.used, 0, "every request gives its body bytes back");
});

Deno.test("a real photo still passes the limits (the default 20 MiB)", async () => {
  const { app } = makeApp();
  const res = await app.request(post("/v1/detect", readData(PHOTOS.arnold1)));
  assert.equal(res.status, 200, await res.text());
});

Deno.test("validateName() refuses '.' and '..' as names but keeps names with dots", () => {
  for (const kind of ["collection", "subject"] as const) {
    for (const name of [".", ".."]) {
      assert.throws(
        () => validateName(kind, name),
        (err: Error & { code?: string }) =>
          err.code === "invalid_request" && /path segments, not names/.test(err.message),
      );
    }
    for (const name of ["...", "a.b", ".hidden", "x.."]) {
      assert.equal(validateName(kind, name), name);
    }
  }
});
