import assert from "node:assert/strict";
import { declaredRoutes } from "../../functions/app.ts";
import { isPublic } from "../../functions/_openapi.ts";
import { assertProblem, json, makeApp } from "./_fixtures.ts";

const ROOT = new URL("../../", import.meta.url);
const REDOCLY = new URL("node_modules/.bin/redocly", ROOT).pathname;
const HAVE_REDOCLY = (() => {
  try {
    return Deno.statSync(REDOCLY).isFile;
  } catch {
    return false;
  }
})();

type Doc = {
  servers: { url: string }[];
  info: { license: { name: string; identifier: string } };
  paths: Record<string, Record<string, Op>>;
  components: { securitySchemes: Record<string, Record<string, string>>; schemas: Schemas };
};
type Op = {
  security: Record<string, string[]>[];
  parameters: { name: string; in: string; schema: { pattern?: string; enum?: string[] } }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
};
type Schemas = Record<string, { properties: Record<string, Record<string, unknown>> }>;

async function openApi(): Promise<Doc> {
  const { app } = makeApp();
  return await json<Doc>(await app.request("http://api.test:8000/openapi.json"));
}

/** `GET /healthz`-style keys of the routes declared public. */
function publicRoutes(): Set<string> {
  const { app } = makeApp();
  return new Set(
    declaredRoutes(app).filter((r) => isPublic(r.access)).map((r) =>
      `${r.method.toUpperCase()} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`
    ),
  );
}

Deno.test("/openapi.json names its server, licence and the bearer scheme of every keyed operation", async () => {
  const doc = await openApi();
  assert.deepEqual(doc.servers.map((s) => s.url), ["http://api.test:8000"]);
  assert.deepEqual(doc.info.license, { name: "MIT", identifier: "MIT" });
  assert.deepEqual(doc.components.securitySchemes.apiKey.type, "http");
  assert.deepEqual(doc.components.securitySchemes.apiKey.scheme, "bearer");
  let keyed = 0;
  const exemptRoutes = publicRoutes();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const exempt = exemptRoutes.has(`${method.toUpperCase()} ${path}`);
      assert.deepEqual(op.security, exempt ? [] : [{ apiKey: [] }], `${method} ${path}`);
      if (!exempt) {
        keyed++;
        for (const status of ["401", "403", "429"]) {
          assert.ok(op.responses[status], `${method} ${path} documents ${status}`);
        }
      }
    }
  }
  assert.ok(keyed >= 11, `${keyed} keyed operations`);
});

Deno.test("/openapi.json gives names their pattern, face its enum, images a minimum length and HTML pages text/html", async () => {
  const doc = await openApi();
  const identify = doc.paths["/v1/collections/{collection}/identify"].post;
  const collection = identify.parameters.find((p) => p.name === "collection")!;
  const pattern = new RegExp(collection.schema.pattern!);
  assert.ok(pattern.test("team-A_1.x@y"));
  assert.ok(!pattern.test("a/b") && !pattern.test("") && !pattern.test("x".repeat(129)));
  assert.ok(!pattern.test(".") && !pattern.test("..") && pattern.test("...") && pattern.test(".a"));
  assert.ok(pattern.test("x".repeat(128)));
  const verify = doc.paths["/v1/collections/{collection}/subjects/{subject}/verify"].post;
  assert.equal(
    verify.parameters.find((p) => p.name === "subject")!.schema.pattern,
    collection.schema.pattern,
  );
  assert.deepEqual(identify.parameters.find((p) => p.name === "face")!.schema.enum, [
    "largest",
    "center",
    "primary",
    "single",
    "all",
  ]);
  const s = doc.components.schemas;
  assert.ok((s.ImageJson.properties.face.enum as string[]).includes("single"));
  assert.equal(s.ImageJson.properties.image.minLength, 1);
  assert.equal(s.ImageMultipart.properties.image.minLength, 1);
  assert.equal(s.PairJson.properties.a.minLength, 1);
  assert.deepEqual(identify.requestBody!.content["image/jpeg"].schema.minLength, 1);
  for (const page of ["/docs", "/"]) {
    assert.deepEqual(Object.keys(doc.paths[page].get.responses["200"].content!), ["text/html"]);
  }
});

Deno.test("a known path with a wrong method answers 405 with Allow; an unknown path 404", async () => {
  const { app } = makeApp();
  const get = await app.request("/v1/detect");
  const body = await assertProblem(get, 405, "method_not_allowed");
  assert.equal(get.headers.get("allow"), "POST");
  assert.equal(body.allow, "POST");
  const del = await app.request("/v1/collections/c/subjects/s", { method: "POST" });
  await assertProblem(del, 405, "method_not_allowed");
  assert.equal(del.headers.get("allow"), "GET, HEAD, DELETE");
  const health = await app.request("/healthz", { method: "DELETE" });
  await assertProblem(health, 405, "method_not_allowed");
  assert.equal(health.headers.get("allow"), "GET, HEAD");
  await assertProblem(await app.request("/v1/nothing"), 404, "not_found");
  await assertProblem(await app.request("/v1/collections/c/nothing"), 404, "not_found");
});

Deno.test("/docs has an API-key field kept in sessionStorage and sent as a Bearer header", async () => {
  const { app } = makeApp();
  const html = await (await app.request("/docs")).text();
  assert.match(html, /<input id="api-key" type="password"/);
  assert.match(html, /sessionStorage\.setItem\(KEY_ITEM/);
  assert.match(html, /authorization = "Bearer " \+ key/);
  assert.doesNotMatch(html, /localStorage/);
});

Deno.test({
  name: "redocly lint (recommended rules) finds 0 errors in /openapi.json",
  ignore: !HAVE_REDOCLY,
}, async () => {
  const doc = await openApi();
  const dir = await Deno.makeTempDir({ prefix: "facegate_openapi_" });
  try {
    await Deno.writeTextFile(`${dir}/openapi.json`, JSON.stringify(doc));
    const out = await new Deno.Command(REDOCLY, {
      args: ["lint", "--extends", "recommended", "--format", "json", `${dir}/openapi.json`],
      cwd: dir,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const report = JSON.parse(text.slice(text.indexOf("{")));
    const errors = report.problems.filter((p: { severity: string }) => p.severity === "error");
    assert.deepEqual(errors, [], text);
    assert.equal(report.totals.errors, 0);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // Warnings are allowed but reported: only the loopback server URL is expected.
    const warnings = report.problems.map((p: { ruleId: string }) => p.ruleId);
    assert.ok(warnings.every((w: string) => w === "no-server-example.com"), warnings.join());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
