import assert from "node:assert/strict";
import { WEB_ASSETS } from "../../functions/web.ts";
import { makeApp } from "./_fixtures.ts";

const WEB = new URL("../../web/", import.meta.url);

Deno.test("GET / serves the web app, its script and style sheet from web/, with a strict CSP", async () => {
  const { app } = makeApp();
  for (
    const [path, file, type] of [
      ["/", "index.html", "text/html"],
      ["/app.js", "app.js", "text/javascript"],
      ["/app.css", "app.css", "text/css"],
    ]
  ) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type")!, new RegExp(`^${type}`));
    assert.equal(await res.text(), await Deno.readTextFile(new URL(file, WEB)), path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(res.headers.get("content-security-policy")!, /script-src 'self';/);
    assert.match(res.headers.get("content-security-policy")!, /connect-src 'self';/);
  }
  const head = await app.request("/", { method: "HEAD" });
  assert.equal(head.status, 200);
});

Deno.test("the web app loads nothing from another origin and keeps the API key out of URLs and localStorage", () => {
  const html = WEB_ASSETS["/"].body;
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  assert.match(html, /<script type="module" src="\/app.js">/);
  const js = WEB_ASSETS["/app.js"].body;
  // The only absolute URL is the SVG namespace name, which is never fetched.
  const urls = new Set(js.match(/https?:\/\/[^\s"'`)]+/g));
  assert.deepEqual([...urls], ["http://www.w3.org/2000/svg"]);
  assert.doesNotMatch(js, /localStorage/);
  assert.match(js, /sessionStorage\.setItem\(KEY_ITEM/);
  assert.match(js, /headers\.authorization = `Bearer \${key}`/);
  // The key never goes into a query string or path.
  assert.doesNotMatch(js, /[?&](key|api_key|token)=/);
});

Deno.test("the web app's files stay small: under 40 KiB together, 12 KiB gzipped", async () => {
  const bytes = new TextEncoder().encode(Object.values(WEB_ASSETS).map((a) => a.body).join(""));
  assert.ok(bytes.length < 40 * 1024, `${bytes.length} bytes`);
  const gzipped = await new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  ).arrayBuffer();
  assert.ok(gzipped.byteLength < 12 * 1024, `${gzipped.byteLength} bytes gzipped`);
});
