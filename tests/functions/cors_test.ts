import assert from "node:assert/strict";
import { createApp } from "../../functions/app.ts";
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS } from "../../functions/_cors.ts";
import { parseConfig } from "../../lib/config.ts";
import { createApiKey, MemoryKeyStore } from "../../lib/auth/mod.ts";
import { MemoryRateLimiter } from "../../lib/ratelimit/mod.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import { assertProblem, json, PHOTOS, postImage, sessions } from "./_fixtures.ts";

const APP = "https://app.example";

/** An app with API keys on, the given FACEGATE_CORS_ORIGINS and an admin key. */
async function corsApp(origins: string | undefined, limiter?: MemoryRateLimiter) {
  const config = parseConfig({
    FACEGATE_STORE: "memory",
    FACEGATE_RATE_LIMIT: "0",
    ...(origins === undefined ? {} : { FACEGATE_CORS_ORIGINS: origins }),
  });
  const keys = new MemoryKeyStore();
  const app = createApp({
    pipeline: { sessions },
    store: new MemoryFaceStore(),
    config,
    manifest: MODEL_MANIFEST,
    keys,
    limiter,
    logger: { info: () => {}, error: () => {} },
  });
  const { key } = await createApiKey(keys, { name: "t", role: "admin", collections: "*" });
  return { app, key };
}

const preflight = (origin: string, method = "POST", headers = "authorization,content-type") => ({
  method: "OPTIONS",
  headers: {
    origin,
    "access-control-request-method": method,
    "access-control-request-headers": headers,
  },
});

Deno.test("CORS allows every method the API documents (a browser can set a policy or an expiry)", async () => {
  const { app } = await corsApp(APP);
  const doc = await (await app.request("/openapi.json")).json() as {
    paths: Record<string, Record<string, unknown>>;
  };
  const used = new Set(
    Object.values(doc.paths).flatMap((ops) => Object.keys(ops).map((m) => m.toUpperCase())),
  );
  assert.ok(used.has("PUT"), "the API has PUT routes (policy, expiry)");
  for (const m of used) assert.ok(CORS_ALLOW_METHODS.includes(m), `${m} is not allowed by CORS`);
  const pre = await app.request("/v1/collections/c/policy", preflight(APP, "PUT"));
  assert.equal(pre.status, 204);
  assert.ok(pre.headers.get("access-control-allow-methods")!.split(", ").includes("PUT"));
});

Deno.test("a preflight from an allowed origin answers 204 with the API's methods and headers, without a key", async () => {
  const { app } = await corsApp(APP);
  for (const path of ["/v1/detect", "/v1/collections/c/identify", "/v1/collections/c/subjects/s"]) {
    const res = await app.request(path, preflight(APP));
    assert.equal(res.status, 204, path);
    assert.equal(await res.text(), "");
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    const methods = res.headers.get("access-control-allow-methods")!.split(", ");
    for (const m of ["GET", "POST", "DELETE"]) assert.ok(methods.includes(m), m);
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(", ");
    for (const h of CORS_ALLOW_HEADERS) assert.ok(allowed.includes(h.toLowerCase()), h);
    for (const h of ["authorization", "content-type", "idempotency-key", "x-request-id"]) {
      assert.ok(allowed.includes(h), h);
    }
    assert.equal(res.headers.get("access-control-allow-credentials"), null);
    assert.match(res.headers.get("vary")!, /Origin/);
  }
});

Deno.test("responses to an allowed origin carry Allow-Origin and expose X-Request-Id and Retry-After", async () => {
  const { app, key } = await corsApp(`${APP}, http://localhost:5173`);
  const ok = await app.request("/v1/collections/c/subjects", {
    headers: { origin: "http://localhost:5173", authorization: `Bearer ${key}` },
  });
  await json(ok);
  assert.equal(ok.headers.get("access-control-allow-origin"), "http://localhost:5173");
  const exposed = ok.headers.get("access-control-expose-headers")!.toLowerCase().split(", ");
  assert.ok(exposed.includes("x-request-id"));
  assert.ok(exposed.includes("retry-after"));
  assert.match(ok.headers.get("vary")!, /Origin/);
  // Problems too: a 401 without a key is readable by the app, so it can show it.
  const denied = await app.request("/v1/collections/c/subjects", { headers: { origin: APP } });
  await assertProblem(denied, 401, "unauthorized");
  assert.equal(denied.headers.get("access-control-allow-origin"), APP);
  // And errors thrown in a route.
  const bad = await app.request("/v1/detect", {
    method: "POST",
    headers: { origin: APP, authorization: `Bearer ${key}`, "content-type": "text/plain" },
    body: "x",
  });
  await assertProblem(bad, 415, "unsupported_media_type");
  assert.equal(bad.headers.get("access-control-allow-origin"), APP);
});

Deno.test("a rate-limited response to an allowed origin exposes Retry-After", async () => {
  const { app, key } = await corsApp("*", new MemoryRateLimiter({ limit: 1 }));
  const init = { headers: { origin: APP, authorization: `Bearer ${key}` } };
  await json(await app.request("/v1/collections/c/subjects", init));
  const limited = await app.request("/v1/collections/c/subjects", init);
  await assertProblem(limited, 429, "rate_limited");
  assert.ok(Number(limited.headers.get("retry-after")) > 0);
  assert.equal(limited.headers.get("access-control-allow-origin"), "*");
  assert.match(limited.headers.get("access-control-expose-headers")!, /Retry-After/);
});

Deno.test("FACEGATE_CORS_ORIGINS=* allows any origin with Allow-Origin: *", async () => {
  const { app } = await corsApp("*");
  const res = await app.request("/v1/detect", preflight("https://anywhere.example"));
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const health = await app.request("/healthz", { headers: { origin: "null" } });
  assert.equal(health.headers.get("access-control-allow-origin"), "*");
});

Deno.test("an origin not in the list, or any origin by default, gets no CORS permission", async () => {
  for (const origins of [undefined, APP]) {
    const { app, key } = await corsApp(origins);
    const pre = await app.request("/v1/detect", preflight("https://evil.example"));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
    assert.equal(pre.headers.get("access-control-allow-methods"), null);
    const res = await app.request("/v1/detect", {
      ...postImage(PHOTOS.arnold1),
      headers: {
        origin: "https://evil.example",
        "content-type": "image/jpeg",
        authorization: `Bearer ${key}`,
      },
    });
    await json(res);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("access-control-expose-headers"), null);
  }
});

Deno.test("a same-origin request (no Origin header) gets no CORS headers", async () => {
  const { app } = await corsApp(APP);
  const res = await app.request("/healthz");
  await json(res);
  assert.equal(res.headers.get("access-control-allow-origin"), null);
});

Deno.test("parseConfig() reads FACEGATE_CORS_ORIGINS as *, a list of origins, or none", () => {
  assert.deepEqual(parseConfig({}).corsOrigins, []);
  assert.deepEqual(parseConfig({ FACEGATE_CORS_ORIGINS: " * " }).corsOrigins, ["*"]);
  assert.deepEqual(
    parseConfig({ FACEGATE_CORS_ORIGINS: "https://A.example/, http://localhost:8000,," })
      .corsOrigins,
    ["https://a.example", "http://localhost:8000"],
  );
  for (
    const bad of ["app.example", "https://a.example/path", "ftp://a.example", "*, https://a.b"]
  ) {
    assert.throws(
      () => parseConfig({ FACEGATE_CORS_ORIGINS: bad }),
      (err: Error & { details?: { problems?: string[] } }) =>
        err.details!.problems!.some((p) => p.startsWith("FACEGATE_CORS_ORIGINS")),
      bad,
    );
  }
});
