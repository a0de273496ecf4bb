import assert from "node:assert/strict";
import { createApp, declaredRoutes } from "../../functions/app.ts";
import { isPublic } from "../../functions/_openapi.ts";
import { parseConfig } from "../../lib/config.ts";
import { createApiKey, MemoryKeyStore, type NewApiKey } from "../../lib/auth/mod.ts";
import { MemoryRateLimiter, type RateLimiter } from "../../lib/ratelimit/mod.ts";
import { type FaceStore, MemoryFaceStore } from "../../lib/store/mod.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import {
  assertProblem,
  type CapturedLog,
  json,
  PHOTOS,
  postImage,
  readData,
  sessions,
} from "./_fixtures.ts";

/** A MemoryFaceStore that counts every call, to show refused requests never reach the store. */
function countingStore(): { store: FaceStore; calls: () => number } {
  const inner = new MemoryFaceStore();
  let calls = 0;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (prop !== "close") calls++;
        return v.apply(target, args);
      };
    },
  });
  return { store, calls: () => calls };
}

interface AuthAppOptions {
  env?: Record<string, string>;
  limiter?: RateLimiter;
  drainUnreadBodyBytes?: number;
}

/** An app with auth on (unless env says otherwise), a memory key store and a counting store. */
function authApp(options: AuthAppOptions = {}) {
  const config = parseConfig({
    FACEGATE_RATE_LIMIT: "0",
    ...options.env,
    FACEGATE_STORE: "memory",
  });
  const keys = new MemoryKeyStore();
  const { store, calls } = countingStore();
  const logs: CapturedLog = [];
  const app = createApp({
    pipeline: { sessions },
    store,
    config,
    manifest: MODEL_MANIFEST,
    keys,
    limiter: options.limiter,
    logger: { info: (f) => logs.push(f), error: (f) => logs.push(f) },
    drainUnreadBodyBytes: options.drainUnreadBodyBytes,
  });
  const key = async (spec: Partial<NewApiKey> & Pick<NewApiKey, "role">) =>
    (await createApiKey(keys, { name: "test", collections: "*", ...spec })).key;
  return { app, keys, store, calls, logs, key };
}

const bearer = (key: string, init: RequestInit = {}): RequestInit => {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  return { ...init, headers };
};

/** A body that is not an image: refused by auth before it is read, or 400 if it were read. */
const JUNK: RequestInit = {
  method: "POST",
  headers: { "content-type": "image/jpeg" },
  body: "not an image",
};

function comparePair(): RequestInit {
  const form = new FormData();
  form.append("a", new Blob([readData(PHOTOS.serena1)], { type: "image/jpeg" }), "a.jpg");
  form.append("b", new Blob([readData(PHOTOS.serena2)], { type: "image/jpeg" }), "b.jpg");
  return { method: "POST", body: form };
}

/** Every collection route, on collection `c`. */
function collectionRoutes(c: string): Array<[string, string, RequestInit]> {
  return [
    ["enrollFace", `/v1/collections/${c}/subjects/ann/faces`, JUNK],
    ["listSubjects", `/v1/collections/${c}/subjects`, {}],
    ["getSubject", `/v1/collections/${c}/subjects/ann`, {}],
    ["deleteSubject", `/v1/collections/${c}/subjects/ann`, { method: "DELETE" }],
    ["deleteFace", `/v1/collections/${c}/subjects/ann/faces/f1`, { method: "DELETE" }],
    ["deleteCollection", `/v1/collections/${c}`, { method: "DELETE" }],
    ["verifySubject", `/v1/collections/${c}/subjects/ann/verify`, JUNK],
    ["identify", `/v1/collections/${c}/identify`, JUNK],
    ["getMatchPolicy", `/v1/collections/${c}/policy`, {}],
    [
      "setMatchPolicy",
      `/v1/collections/${c}/policy`,
      { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" },
    ],
    ["listAudit", `/v1/collections/${c}/audit`, {}],
    [
      "setSubjectExpiry",
      `/v1/collections/${c}/subjects/ann/expiry`,
      { method: "PUT", headers: { "content-type": "application/json" }, body: "{}" },
    ],
    ["purgeExpired", `/v1/collections/${c}/purge`, { method: "POST" }],
    [
      "convertCollection",
      `/v1/collections/${c}/convert`,
      { method: "POST", headers: { "content-type": "application/json" }, body: "{}" },
    ],
  ];
}

Deno.test("the collection routes listed here are every route with a {collection} in /openapi.json", async () => {
  const { app } = authApp();
  const doc = await json<{ paths: Record<string, Record<string, { operationId: string }>> }>(
    await app.request("/openapi.json"),
  );
  const scoped = Object.entries(doc.paths).filter(([p]) => p.includes("{collection}"))
    .flatMap(([, ops]) => Object.values(ops).map((op) => op.operationId)).sort();
  assert.deepEqual(scoped, collectionRoutes("x").map(([id]) => id).sort());
});

Deno.test("every documented operation declares an action or why it is public", async () => {
  const { app } = authApp();
  const doc = await json<{ paths: Record<string, Record<string, { operationId: string }>> }>(
    await app.request("/openapi.json"),
  );
  const declared = new Map(
    declaredRoutes(app).filter((r) => "operationId" in r).map((r) => [
      (r as { operationId: string }).operationId,
      r,
    ]),
  );
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops)) {
      const access = declared.get(op.operationId)?.access;
      assert.ok(
        typeof access === "string" || (access !== undefined && access.public.length > 0),
        `${op.operationId} declares its access`,
      );
    }
  }
});

Deno.test("a key for collection A gets 403 forbidden on collection B for every collection route, before any store or image work", async () => {
  const { app, calls, key } = authApp();
  const adminOfA = await key({ role: "admin", collections: ["A"] });
  for (const [id, path, init] of collectionRoutes("B")) {
    const body = await assertProblem(
      await app.request(path, bearer(adminOfA, init)),
      403,
      "forbidden",
    );
    assert.equal(body.collection, "B", id);
    assert.match(body.detail, /collection B/, id);
  }
  assert.equal(calls(), 0);
  // The same key passes auth on A (then the routes do their own work: junk is not an image).
  await assertProblem(
    await app.request("/v1/collections/A/identify", bearer(adminOfA, JUNK)),
    400,
    "invalid_image",
  );
  const list = await json(await app.request("/v1/collections/A/subjects", bearer(adminOfA)));
  assert.deepEqual(list, { subjects: [], next_cursor: null });
});

Deno.test("a verify key cannot enroll, read or delete (403) but can verify, identify, compare and embed", async () => {
  const { app, key } = authApp();
  const verifier = await key({ role: "verify", collections: ["A"] });
  const enroller = await key({ role: "enroll", collections: ["A"] });
  for (const [id, path, init] of collectionRoutes("A")) {
    if (id === "verifySubject" || id === "identify") continue;
    const body = await assertProblem(
      await app.request(path, bearer(verifier, init)),
      403,
      "forbidden",
    );
    assert.equal(body.role, "verify", id);
  }
  await json(
    await app.request(
      "/v1/collections/A/subjects/arnold/faces",
      bearer(enroller, postImage(PHOTOS.arnold1)),
    ),
    201,
  );
  const verify = await json<{ match: boolean }>(
    await app.request(
      "/v1/collections/A/subjects/arnold/verify",
      bearer(verifier, postImage(PHOTOS.arnold2)),
    ),
  );
  assert.equal(verify.match, true);
  const identify = await json<{ match: { subject: string } | null }>(
    await app.request("/v1/collections/A/identify", bearer(verifier, postImage(PHOTOS.arnold3))),
  );
  assert.equal(identify.match?.subject, "arnold");
  await json(await app.request("/v1/compare", bearer(verifier, comparePair())));
  await json(await app.request("/v1/embed", bearer(verifier, postImage(PHOTOS.serena1))));
});

Deno.test("an enroll key may enroll, read and delete in its collections but not delete the collection", async () => {
  const { app, key } = authApp();
  const enroller = await key({ role: "enroll", collections: ["A"] });
  const admin = await key({ role: "admin" });
  await json(
    await app.request(
      "/v1/collections/A/subjects/arnold/faces",
      bearer(enroller, postImage(PHOTOS.arnold1)),
    ),
    201,
  );
  await json(await app.request("/v1/collections/A/subjects/arnold", bearer(enroller)));
  await assertProblem(
    await app.request("/v1/collections/A", bearer(enroller, { method: "DELETE" })),
    403,
    "forbidden",
  );
  const del = await app.request("/v1/collections/A", bearer(admin, { method: "DELETE" }));
  assert.equal((await json<{ deleted_faces: number }>(del)).deleted_faces, 1);
});

Deno.test("no key, a malformed, unknown or wrong key and a revoked key answer 401 with WWW-Authenticate: Bearer", async () => {
  const { app, keys, calls, key, logs } = authApp();
  const good = await key({ role: "admin" });
  const [{ id }] = await keys.list();
  const wrong = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
  const cases: Array<[string, RequestInit]> = [
    ["none", {}],
    ["basic", { headers: { authorization: "Basic YTpi" } }],
    ["malformed", bearer("fg_nope")],
    ["unknown", bearer(`fg_0123456789abcdef_${"A".repeat(43)}`)],
    ["wrong secret", bearer(wrong)],
  ];
  for (const [what, init] of cases) {
    const res = await app.request("/v1/collections/A/identify", { ...JUNK, ...init });
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm="facegate"/, what);
    const body = await assertProblem(res, 401, "unauthorized");
    assert.ok(!JSON.stringify(body).includes("fg_"), what);
  }
  assert.equal(calls(), 0); // refused requests never reach the store
  await json(await app.request("/v1/collections/A/subjects", bearer(good)));
  // The authenticated list (after the collection's recipe lookup) reached it.
  const reached = calls();
  assert.ok(reached >= 1);
  await keys.revoke(id, new Date().toISOString());
  const revoked = await app.request("/v1/collections/A/subjects", bearer(good));
  assert.match(revoked.headers.get("www-authenticate")!, /error="invalid_token"/);
  assert.match((await assertProblem(revoked, 401, "unauthorized")).detail, /revoked/);
  assert.equal(calls(), reached);
  // The log names the key id of authenticated requests, never a key.
  assert.ok(logs.some((l) => l.key_id === id));
  assert.ok(!JSON.stringify(logs).includes(good.slice(20)));
});

Deno.test("a key over its rate limit answers 429 rate_limited with Retry-After, per key", async () => {
  const clock = { t: 30_000 };
  const limiter = new MemoryRateLimiter({ limit: 2, now: () => clock.t });
  const { app, key } = authApp({ limiter });
  const a = await key({ role: "admin" });
  const b = await key({ role: "admin" });
  await json(await app.request("/v1/collections/A/subjects", bearer(a)));
  await json(await app.request("/v1/collections/A/subjects", bearer(a)));
  const limited = await app.request("/v1/collections/A/subjects", bearer(a));
  assert.equal(limited.headers.get("retry-after"), "30");
  assert.equal((await assertProblem(limited, 429, "rate_limited")).limit, 2);
  await json(await app.request("/v1/collections/A/subjects", bearer(b)));
  clock.t += 120_000;
  await json(await app.request("/v1/collections/A/subjects", bearer(a)));
});

Deno.test("FACEGATE_RATE_LIMIT sets the default in-memory limit per key", async () => {
  const { app, key } = authApp({ env: { FACEGATE_RATE_LIMIT: "1" } });
  const a = await key({ role: "admin" });
  await json(await app.request("/v1/collections/A/subjects", bearer(a)));
  const res = await app.request("/v1/collections/A/subjects", bearer(a));
  assert.ok(Number(res.headers.get("retry-after")) >= 1);
  await assertProblem(res, 429, "rate_limited");
});

Deno.test("health, OpenAPI, docs, the web app's files and the signed webhook stay public", async () => {
  const { app } = authApp();
  const pub = ["/healthz", "/openapi.json", "/docs", "/", "/app.js", "/app.css", "/favicon.svg"];
  for (const path of [...pub, "/favicon.ico"]) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    await res.body?.cancel();
  }
  const publicRoutes = declaredRoutes(app).filter((r) => isPublic(r.access));
  assert.deepEqual(publicRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`), [
    "GET /healthz",
    "GET /openapi.json",
    "GET /docs",
    "GET /",
    "GET /app.js",
    "GET /app.css",
    "GET /favicon.svg",
    "GET /favicon.ico",
    "POST /v1/webhooks/upload",
  ]);
  const hook = await app.request("/v1/webhooks/upload", { method: "POST", body: "{}" });
  assert.doesNotMatch(hook.headers.get("www-authenticate") ?? "", /Bearer/);
  await hook.body?.cancel();
});

Deno.test("a path no operation declares is admin-only: 401 without a key, 403 for others, 404 for admins", async () => {
  const { app, key } = authApp();
  const verifier = await key({ role: "verify" });
  const admin = await key({ role: "admin" });
  await assertProblem(await app.request("/v2/detect", JUNK), 401, "unauthorized");
  await assertProblem(await app.request("/v2/detect", bearer(verifier, JUNK)), 403, "forbidden");
  await assertProblem(await app.request("/v2/detect", bearer(admin, JUNK)), 404, "not_found");
});

Deno.test("with FACEGATE_AUTH=off no key is needed and requests are limited per client address", async () => {
  const { app } = authApp({ env: { FACEGATE_AUTH: "off", FACEGATE_RATE_LIMIT: "1" } });
  const env = (hostname: string) => ({ remoteAddr: { hostname, port: 1, transport: "tcp" } });
  await json(await app.request("/v1/collections/A/subjects", {}, env("10.0.0.1")));
  const res = await app.request("/v1/collections/A/subjects", {}, env("10.0.0.1"));
  await assertProblem(res, 429, "rate_limited");
  await json(await app.request("/v1/collections/A/subjects", {}, env("10.0.0.2")));
  // Without a known address (in-process calls) there is nothing to limit by.
  await json(await app.request("/v1/collections/A/subjects"));
  await json(await app.request("/v1/collections/A/subjects"));
});

Deno.test("createApp() refuses FACEGATE_AUTH=keys without a key store", () => {
  assert.throws(
    () =>
      createApp({
        pipeline: { sessions },
        store: new MemoryFaceStore(),
        config: parseConfig({ FACEGATE_STORE: "memory" }),
      }),
    TypeError,
  );
});

/** A request body that records whether it was read to the end or cancelled. */
function trackedBody(bytes = 4096) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (state.pulled >= bytes) return ctrl.close();
      ctrl.enqueue(new Uint8Array(1024));
      state.pulled += 1024;
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

Deno.test("a request refused before its body is read (401, 403) has its body cancelled, and the next request is answered", async () => {
  const { app, key } = authApp({ env: { FACEGATE_AUTH: "keys" } });
  const verifier = await key({ role: "verify", collections: ["a"] });
  const refused: Array<[number, string, RequestInit]> = [
    [401, "/v1/collections/a/identify", {}],
    [403, "/v1/collections/b/identify", bearer(verifier)],
    [403, "/v1/collections/a/subjects/ann/faces", bearer(verifier)],
    [403, "/v1/nope", bearer(verifier)],
  ];
  for (const [status, path, init] of refused) {
    const { stream, state } = trackedBody();
    const res = await app.request(`http://facegate.test${path}`, {
      ...init,
      method: "POST",
      body: stream,
      // @ts-ignore: a streamed request body needs duplex (Deno's Request accepts it).
      duplex: "half",
    });
    assert.equal(res.status, status, `${path}: ${await res.clone().text()}`);
    await res.body?.cancel();
    assert.equal(state.cancelled, true, `${path}: the unread body is cancelled`);
    assert.ok(state.pulled < 4096, `${path}: not read to the end`);
    // The following request is answered normally.
    assert.equal((await app.request("/healthz")).status, 200);
  }
  // A body the route reads is read, not cancelled.
  const { stream, state } = trackedBody(2048);
  const res = await app.request("http://facegate.test/v1/collections/a/identify", {
    ...bearer(verifier, { headers: { "content-type": "image/jpeg" } }),
    method: "POST",
    body: stream,
    // @ts-ignore: as above.
    duplex: "half",
  });
  assert.equal(res.status, 400);
  assert.equal(state.cancelled, false);
  assert.equal(state.pulled, 2048);
});

Deno.test("with drainUnreadBodyBytes (the Workers entry), a refused request's body is read to its end when small enough, else cancelled", async () => {
  const { app } = authApp({ env: { FACEGATE_AUTH: "keys" }, drainUnreadBodyBytes: 8192 });
  const post = (body: ReadableStream<Uint8Array>) =>
    app.request("http://facegate.test/v1/collections/a/identify", {
      method: "POST",
      body,
      // @ts-ignore: a streamed request body needs duplex (Deno's Request accepts it).
      duplex: "half",
    });
  const small = trackedBody(8192);
  assert.equal((await post(small.stream)).status, 401);
  assert.deepEqual(small.state, { pulled: 8192, cancelled: false }, "read to its end");
  const big = trackedBody(64 * 1024);
  assert.equal((await post(big.stream)).status, 401);
  assert.equal(big.state.cancelled, true);
  assert.ok(big.state.pulled <= 8192 + 2048, `${big.state.pulled} bytes read`);
});

Deno.test("GET /v1/collections shows each key only the collections of its scope, for every role", async () => {
  const { app, store, key } = authApp();
  const model = MODEL_MANIFEST.recipes?.default ?? MODEL_MANIFEST.embedder.id;
  const embedding = new Float32Array(512).fill(1 / Math.sqrt(512));
  for (const collection of ["a", "b", "c"]) {
    await store.addFace({ model, collection }, "ann", { embedding, quality: 0.9 });
  }
  const names = async (k: string) =>
    (await json<{ collections: { collection: string }[] }>(
      await app.request("/v1/collections", bearer(k)),
    )).collections.map((c) => c.collection);
  assert.deepEqual(await names(await key({ role: "admin" })), ["a", "b", "c"]);
  assert.deepEqual(await names(await key({ role: "verify", collections: ["b", "z"] })), ["b"]);
  assert.deepEqual(await names(await key({ role: "enroll", collections: ["a", "c"] })), ["a", "c"]);
  assert.equal((await app.request("/v1/collections")).status, 401);
});
