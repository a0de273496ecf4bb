import assert from "node:assert/strict";
import { defaultRecipe } from "../../models/manifest.ts";
import { FaceError } from "../../lib/errors.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import { SessionCache } from "../../lib/onnx/mod.ts";
import { parseConfig } from "../../lib/config.ts";
import { createApp } from "../../functions/app.ts";
import { assertProblem, json, makeApp, PHOTOS, postImage, sessions } from "./_fixtures.ts";

Deno.test("the app echoes a well-formed X-Request-Id and generates one otherwise", async () => {
  const { app } = makeApp();
  const given = await app.request("/healthz", { headers: { "x-request-id": "abc-123" } });
  assert.equal(given.headers.get("x-request-id"), "abc-123");
  const hostile = await app.request("/healthz", { headers: { "x-request-id": "a b <script>" } });
  assert.match(hostile.headers.get("x-request-id")!, /^[0-9a-f-]{36}$/);
  const none = await app.request("/nope");
  const body = await assertProblem(none, 404, "not_found");
  assert.match(body.request_id, /^[0-9a-f-]{36}$/);
});

Deno.test("the app logs one line per request with method, path, status, ms and request id only", async () => {
  const { app, logs } = makeApp();
  await app.request("/v1/collections/c/subjects/serena/faces", postImage(PHOTOS.serena1));
  logs.length = 0;
  await app.request("/v1/collections/c/identify?k=2", postImage(PHOTOS.karzai));
  assert.equal(logs.length, 1);
  const [line] = logs;
  assert.deepEqual(Object.keys(line).sort(), [
    "method",
    "ms",
    "msg",
    "path",
    "request_id",
    "status",
  ]);
  assert.equal(line.path, "/v1/collections/c/identify");
  assert.equal(line.status, 200);
});

Deno.test("an unknown route answers a 404 not_found problem", async () => {
  const { app } = makeApp();
  const body = await assertProblem(
    await app.request("/v2/detect", { method: "POST" }),
    404,
    "not_found",
  );
  assert.equal(body.instance, "/v2/detect");
});

Deno.test("a body over FACEGATE_MAX_BODY_BYTES answers 413 payload_too_large", async () => {
  const { app } = makeApp({ env: { FACEGATE_MAX_BODY_BYTES: "1000" } });
  const body = await assertProblem(
    await app.request("/v1/detect", postImage(PHOTOS.arnold1)),
    413,
    "payload_too_large",
  );
  assert.equal(body.limit, 1000);
  // Without content-length (a stream), the limit still holds.
  const stream = new Blob([new Uint8Array(5000)]).stream();
  const res = await app.request("/v1/detect", {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: stream,
  });
  await assertProblem(res, 413, "payload_too_large");
});

Deno.test("GET /healthz reports the store, the model, the strategy and the thresholds", async () => {
  const { app } = makeApp();
  const body = await json(await app.request("/healthz"));
  assert.deepEqual(Object.keys(body).sort(), [
    "model",
    "status",
    "store",
    "strategy",
    "thresholds",
  ]);
  assert.equal(body.status, "ok");
  assert.equal(body.store, "memory");
  assert.equal(body.model, defaultRecipe().id);
  const t = body.thresholds as { verify: number; identify: number };
  assert.ok(t.identify < t.verify, "identify is stricter than verify");
});

Deno.test("GET /openapi.json documents every route the app serves", async () => {
  const { app } = makeApp();
  const doc = await json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
    await app.request("/openapi.json"),
  );
  assert.equal(doc.openapi, "3.1.0");
  // The web app's script, style sheet and icon are files, not API operations.
  const assets = ["/app.js", "/app.css", "/favicon.svg", "/favicon.ico"];
  const served = new Set(
    app.routes.filter((r) => r.method !== "ALL" && !assets.includes(r.path)).map((r) =>
      `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`
    ),
  );
  const documented = new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
  );
  assert.deepEqual([...documented].sort(), [...served].sort());
  for (
    const route of [
      "post /v1/detect",
      "post /v1/embed",
      "post /v1/compare",
      "post /v1/collections/{collection}/subjects/{subject}/faces",
      "get /v1/collections/{collection}/subjects",
      "get /v1/collections/{collection}/subjects/{subject}",
      "delete /v1/collections/{collection}/subjects/{subject}",
      "delete /v1/collections/{collection}/subjects/{subject}/faces/{face_id}",
      "delete /v1/collections/{collection}",
      "post /v1/collections/{collection}/subjects/{subject}/verify",
      "post /v1/collections/{collection}/identify",
      "get /healthz",
      "get /openapi.json",
      "get /docs",
    ]
  ) assert.ok(documented.has(route), route);
  const text = JSON.stringify(doc);
  for (const [, name] of text.matchAll(/"#\/components\/schemas\/(\w+)"/g)) {
    assert.ok(text.includes(`"${name}":{`), `schema ${name} is defined`);
  }
});

Deno.test("GET /docs is a self-contained HTML page that loads nothing from elsewhere, under a nonce CSP", async () => {
  const { app } = makeApp();
  const res = await app.request("/docs");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  const html = await res.text();
  assert.match(html, /fetch\("\/openapi.json"\)/);
  assert.match(html, /id="problem-no_face"/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  // Only its own script and style run: by a nonce that changes with every response.
  const csp = res.headers.get("content-security-policy")!;
  const nonce = csp.match(/script-src 'nonce-([A-Za-z0-9+/=]+)'/)?.[1];
  assert.ok(nonce && nonce.length >= 22, csp);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.ok(!csp.includes("unsafe-inline"), csp);
  assert.equal(html.match(/<script[ >]/g)?.length, 1);
  assert.ok(html.includes(`<script nonce="${nonce}">`));
  assert.ok(html.includes(`<style nonce="${nonce}">`));
  const again = (await app.request("/docs")).headers.get("content-security-policy")!;
  assert.notEqual(again, csp);
});

Deno.test("an unexpected failure answers a generic 500 and logs the stack, not the client", async () => {
  const store = new MemoryFaceStore();
  store.gallery = () => Promise.reject(new Error("secret connection string"));
  const { app, logs } = makeApp({ store });
  const res = await app.request("/v1/collections/c/identify", postImage(PHOTOS.arnold1));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const text = await res.text();
  assert.ok(!text.includes("secret"));
  assert.equal(JSON.parse(text).code, "internal_error");
  const error = logs.find((l) => l.msg === "request failed")!;
  assert.match(String(error.error), /secret connection string/);
  assert.equal(error.request_id, JSON.parse(text).request_id);
});

Deno.test("a failing store answers 503 store_unavailable", async () => {
  const store = new MemoryFaceStore();
  store.listSubjects = () =>
    Promise.reject(new FaceError("store_unavailable", "Cannot list subjects: the kv store failed"));
  const app = createApp({
    pipeline: { sessions },
    store,
    config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" }),
    logger: { info: () => {}, error: () => {} },
  });
  await assertProblem(await app.request("/v1/collections/c/subjects"), 503, "store_unavailable");
});

Deno.test("a model that cannot be loaded answers 503 model_unavailable", async () => {
  const broken = new SessionCache(() => Promise.reject(new Error("ENOENT")));
  const app = createApp({
    pipeline: { sessions: broken },
    store: new MemoryFaceStore(),
    config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" }),
    logger: { info: () => {}, error: () => {} },
  });
  await assertProblem(
    await app.request("/v1/detect", postImage(PHOTOS.arnold1)),
    503,
    "model_unavailable",
  );
});
