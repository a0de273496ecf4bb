import assert from "node:assert/strict";
import { type DnsResolver, safeFetch, type SafeFetchOptions } from "../../../lib/webhook/mod.ts";

type Route = (req: Request) => Response | Promise<Response>;

/** A fake fetch answering by URL, recording what was requested. */
function fakeFetch(routes: Record<string, Route>, seen: Request[] = []): typeof fetch {
  return (input, init) => {
    const req = new Request(input as string | URL, init);
    seen.push(req);
    const route = routes[req.url];
    if (!route) return Promise.reject(new TypeError(`no route for ${req.url}`));
    return Promise.resolve(route(req));
  };
}

const DNS: Record<string, string[]> = {
  "img.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "cdn.example.com": ["93.184.215.15"],
  "internal.example.com": ["10.0.0.7"],
  "rebind.example.com": ["93.184.215.14", "127.0.0.1"],
  "metadata.example.com": ["::ffff:169.254.169.254"],
};

const resolveDns: DnsResolver = (host, type) => {
  const all = DNS[host];
  if (!all) return Promise.reject(new Error("NXDOMAIN"));
  return Promise.resolve(all.filter((a) => (type === "A") === !a.includes(":")));
};

function opts(routes: Record<string, Route>, extra: Partial<SafeFetchOptions> = {}) {
  return {
    allowedHosts: ["img.example.com", "*.example.com"],
    maxBytes: 1000,
    fetch: fakeFetch(routes),
    resolveDns,
    ...extra,
  } satisfies SafeFetchOptions;
}

const ok = (body = "hello") => () =>
  new Response(body, { headers: { "content-type": "text/plain" } });
const redirect = (to: string, status = 302) => () =>
  new Response(null, { status, headers: { location: to } });

Deno.test("safeFetch() fetches an allowlisted https URL with public addresses", async () => {
  const res = await safeFetch(
    "https://img.example.com/a.jpg",
    opts({
      "https://img.example.com/a.jpg": ok(),
    }),
  );
  assert.equal(new TextDecoder().decode(res.bytes), "hello");
  assert.equal(res.status, 200);
  assert.equal(res.contentType, "text/plain");
});

Deno.test("safeFetch() refuses other schemes, credentials and hosts off the allowlist", async () => {
  for (
    const url of [
      "http://img.example.com/a.jpg",
      "ftp://img.example.com/a.jpg",
      "https://user:pw@img.example.com/a.jpg",
      "https://evil.test/a.jpg",
      "https://example.com.evil.test/a.jpg",
      "not a url",
    ]
  ) {
    await assert.rejects(safeFetch(url, opts({})), { code: "url_not_allowed" }, url);
  }
});

Deno.test("safeFetch() refuses hosts resolving to any non-public address", async () => {
  for (const host of ["internal", "rebind", "metadata"]) {
    await assert.rejects(
      safeFetch(`https://${host}.example.com/a.jpg`, opts({})),
      (err: { code: string; details: { reason: string } }) => {
        assert.equal(err.code, "url_not_allowed");
        assert.equal(err.details.reason, "address");
        return true;
      },
      host,
    );
  }
});

Deno.test("safeFetch() refuses literal private, loopback and metadata addresses", async () => {
  for (
    const host of ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "[fd00:ec2::254]", "0x7f.1"]
  ) {
    await assert.rejects(
      safeFetch(
        `https://${host}/x`,
        opts({}, { allowedHosts: [new URL(`https://${host}`).hostname] }),
      ),
      { code: "url_not_allowed" },
      host,
    );
  }
  await assert.rejects(
    safeFetch("https://localhost/x", opts({}, { allowedHosts: ["localhost"] })),
    { code: "url_not_allowed" },
  );
});

Deno.test("safeFetch() allows http and loopback only under allowInsecureLoopback", async () => {
  const routes = { "http://127.0.0.1:9/x": ok("local") };
  const o = opts(routes, { allowedHosts: ["127.0.0.1", "10.0.0.1"] });
  await assert.rejects(safeFetch("http://127.0.0.1:9/x", o), { code: "url_not_allowed" });
  const res = await safeFetch("http://127.0.0.1:9/x", { ...o, allowInsecureLoopback: true });
  assert.equal(new TextDecoder().decode(res.bytes), "local");
  // The test setting allows loopback, never other private ranges.
  await assert.rejects(
    safeFetch("http://10.0.0.1/x", { ...o, allowInsecureLoopback: true }),
    { code: "url_not_allowed" },
  );
  // ...and http only to loopback.
  await assert.rejects(
    safeFetch("http://img.example.com/x", { ...opts({}), allowInsecureLoopback: true }),
    { code: "url_not_allowed" },
  );
});

Deno.test("safeFetch() follows redirects to allowed hosts and re-checks each target", async () => {
  const seen: Request[] = [];
  const routes = {
    "https://img.example.com/a": redirect("/b"),
    "https://img.example.com/b": redirect("https://cdn.example.com/c", 307),
    "https://cdn.example.com/c": ok("final"),
    "https://img.example.com/evil": redirect("https://evil.test/x"),
    "https://img.example.com/inside": redirect("https://internal.example.com/x"),
    "https://img.example.com/meta": redirect("https://169.254.169.254/latest/meta-data/"),
    "https://img.example.com/loop": redirect("https://img.example.com/loop"),
    "https://img.example.com/nowhere": () => new Response(null, { status: 302 }),
  };
  const o = { ...opts(routes), fetch: fakeFetch(routes, seen) };
  const res = await safeFetch("https://img.example.com/a", o);
  assert.equal(res.url, "https://cdn.example.com/c");
  assert.equal(new TextDecoder().decode(res.bytes), "final");
  assert.ok(seen.every((r) => r.redirect === "manual"));
  await assert.rejects(safeFetch("https://img.example.com/evil", o), { code: "url_not_allowed" });
  await assert.rejects(safeFetch("https://img.example.com/inside", o), { code: "url_not_allowed" });
  await assert.rejects(safeFetch("https://img.example.com/meta", o), { code: "url_not_allowed" });
  await assert.rejects(safeFetch("https://img.example.com/loop", o), /more than 3 redirects/);
  await assert.rejects(safeFetch("https://img.example.com/nowhere", o), {
    code: "upstream_failed",
  });
  await assert.rejects(
    safeFetch("https://img.example.com/a", { ...o, maxRedirects: 1 }),
    { code: "upstream_failed" },
  );
});

Deno.test("safeFetch() turns a POST into a GET on 303 and keeps it on 307", async () => {
  const seen: Request[] = [];
  const routes = {
    "https://img.example.com/303": redirect("/done", 303),
    "https://img.example.com/307": redirect("/done", 307),
    "https://img.example.com/done": ok(),
  };
  const o = {
    ...opts(routes),
    fetch: fakeFetch(routes, seen),
    method: "POST" as const,
    body: "{}",
  };
  await safeFetch("https://img.example.com/303", o);
  assert.equal(seen[1].method, "GET");
  seen.length = 0;
  await safeFetch("https://img.example.com/307", o);
  assert.equal(seen[1].method, "POST");
  assert.equal(await seen[1].text(), "{}");
});

Deno.test("safeFetch() caps the body, by Content-Length and while streaming", async () => {
  const big = "x".repeat(1001);
  const declared = { "https://img.example.com/a": ok(big) };
  await assert.rejects(safeFetch("https://img.example.com/a", opts(declared)), {
    code: "payload_too_large",
  });
  const streamed = {
    "https://img.example.com/a": () =>
      new Response(
        new ReadableStream({
          start(ctrl) {
            for (let i = 0; i < 5; i++) ctrl.enqueue(new Uint8Array(300));
            ctrl.close();
          },
        }),
      ),
  };
  await assert.rejects(
    safeFetch("https://img.example.com/a", { ...opts(streamed), tooLargeCode: "image_too_large" }),
    { code: "image_too_large" },
  );
  const exact = await safeFetch(
    "https://img.example.com/a",
    opts({
      "https://img.example.com/a": ok("y".repeat(1000)),
    }),
  );
  assert.equal(exact.bytes.length, 1000);
});

Deno.test("safeFetch() maps non-2xx, network errors, DNS failures and timeouts to upstream_failed", async () => {
  const routes: Record<string, Route> = {
    "https://img.example.com/404": () => new Response("no", { status: 404 }),
    "https://img.example.com/slow": (req) =>
      new Promise((_, reject) =>
        req.signal.addEventListener("abort", () => reject(req.signal.reason))
      ),
  };
  await assert.rejects(
    safeFetch("https://img.example.com/404", opts(routes)),
    (err: { code: string; details: { upstream_status: number } }) =>
      err.code === "upstream_failed" && err.details.upstream_status === 404,
  );
  await assert.rejects(safeFetch("https://img.example.com/none", opts(routes)), {
    code: "upstream_failed",
  });
  await assert.rejects(safeFetch("https://unknown.example.com/a", opts(routes)), /cannot resolve/);
  await assert.rejects(
    safeFetch("https://img.example.com/slow", { ...opts(routes), timeoutMs: 50 }),
    (err: { code: string; details: { reason: string } }) =>
      err.code === "upstream_failed" && err.details.reason === "timeout",
  );
});
