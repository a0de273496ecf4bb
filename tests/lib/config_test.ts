import assert from "node:assert/strict";
import { DEFAULT_MATCH_STRATEGY, parseConfig } from "../../lib/config.ts";
import { isFaceError } from "../../lib/errors.ts";

/** The problems reported by parseConfig(env), or [] when it succeeds. */
function problems(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    assert.ok(isFaceError(err, "invalid_request"), String(err));
    return err.details?.problems as string[];
  }
}

Deno.test("parseConfig() applies the documented defaults to an empty environment", () => {
  assert.deepEqual(parseConfig({}), {
    port: 8000,
    host: "127.0.0.1",
    store: { kind: "kv", path: "./data/facegate.kv" },
    maxBodyBytes: 20 * 1024 * 1024,
    maxPixels: undefined,
    ortThreads: 1,
    matchStrategy: DEFAULT_MATCH_STRATEGY,
    auth: "off",
  });
});

Deno.test("parseConfig() reads every variable", () => {
  const config = parseConfig({
    PORT: "0",
    HOST: "0.0.0.0",
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: "/tmp/x.kv",
    FACEGATE_MAX_BODY_BYTES: "1000",
    FACEGATE_MAX_PIXELS: "4000000",
    FACEGATE_ORT_THREADS: "2",
    FACEGATE_MATCH_STRATEGY: "top2",
    FACEGATE_AUTH: "off",
  });
  assert.deepEqual(config, {
    port: 0,
    host: "0.0.0.0",
    store: { kind: "kv", path: "/tmp/x.kv" },
    maxBodyBytes: 1000,
    maxPixels: 4000000,
    ortThreads: 2,
    matchStrategy: "top2",
    auth: "off",
  });
});

Deno.test("parseConfig() treats empty values as unset", () => {
  assert.deepEqual(parseConfig({ PORT: "", FACEGATE_STORE: " " }), parseConfig({}));
});

Deno.test("parseConfig() switches to Upstash when either pair of Redis credentials is set", () => {
  assert.deepEqual(
    parseConfig({ UPSTASH_REDIS_REST_URL: "https://r.example", UPSTASH_REDIS_REST_TOKEN: "t" })
      .store,
    { kind: "upstash", url: "https://r.example", token: "t" },
  );
  assert.deepEqual(
    parseConfig({ KV_REST_API_URL: "https://v.example", KV_REST_API_TOKEN: "t2" }).store,
    { kind: "upstash", url: "https://v.example", token: "t2" },
  );
  assert.deepEqual(
    parseConfig({
      FACEGATE_STORE: "memory",
      UPSTASH_REDIS_REST_URL: "https://r.example",
      UPSTASH_REDIS_REST_TOKEN: "t",
    }).store,
    { kind: "memory" },
  );
});

Deno.test("parseConfig() reports every bad variable at once", () => {
  const found = problems({
    PORT: "80a",
    FACEGATE_STORE: "disk",
    FACEGATE_MAX_BODY_BYTES: "0",
    FACEGATE_MAX_PIXELS: "-5",
    FACEGATE_ORT_THREADS: "100",
    FACEGATE_MATCH_STRATEGY: "farthest",
    FACEGATE_AUTH: "keys",
  });
  const names = [
    "PORT",
    "FACEGATE_MAX_BODY_BYTES",
    "FACEGATE_MAX_PIXELS",
    "FACEGATE_ORT_THREADS",
    "FACEGATE_MATCH_STRATEGY",
    "FACEGATE_AUTH",
    "FACEGATE_STORE",
  ];
  assert.equal(found.length, names.length, found.join("\n"));
  names.forEach((name, i) => assert.ok(found[i].startsWith(name), found[i]));
});

Deno.test("parseConfig() refuses an Upstash store without credentials and never echoes a token", () => {
  assert.equal(problems({ FACEGATE_STORE: "upstash" }).length, 1);
  const found = problems({ UPSTASH_REDIS_REST_TOKEN: "s3cret-token" });
  assert.equal(found.length, 1);
  assert.match(found[0], /UPSTASH_REDIS_REST_URL is missing/);
  assert.ok(!found.join().includes("s3cret-token"));
  const bad = problems({ UPSTASH_REDIS_REST_URL: "redis://x", UPSTASH_REDIS_REST_TOKEN: "s3cret" });
  assert.match(bad[0], /http\(s\) URL/);
  assert.ok(!bad.join().includes("s3cret"));
});

Deno.test("parseConfig() refuses FACEGATE_AUTH other than off rather than running unprotected", () => {
  assert.match(problems({ FACEGATE_AUTH: "keys" })[0], /FACEGATE_AUTH/);
});
