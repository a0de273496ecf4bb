import assert from "node:assert/strict";
import { DEFAULT_MATCH_STRATEGY, parseConfig } from "../../lib/config.ts";
import { isFaceError } from "../../lib/errors.ts";
import { MasterKeyring } from "../../lib/store/mod.ts";
import { OTHER_MASTER_KEY, TEST_MASTER_KEY } from "../_master_key.ts";

/** The webhook settings when no FACEGATE_WEBHOOK_* variable is set (webhooks disabled). */
const NO_WEBHOOK = {
  secrets: [],
  scopes: [],
  allowedHosts: [],
  toleranceSeconds: 300,
  idempotencyTtlSeconds: 86400,
  fetchTimeoutMs: 10000,
  maxRedirects: 3,
  callbackUrl: undefined,
  allowInsecureLoopback: false,
};

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
    bodyIdleTimeoutMs: 10_000,
    bodyTimeoutMs: 30_000,
    maxInflightBodyBytes: 64 * 1024 * 1024,
    maxConcurrent: 0,
    maxQueued: 32,
    maxDecodedBytes: undefined,
    ortThreads: 1,
    matchStrategy: DEFAULT_MATCH_STRATEGY,
    auth: "keys",
    rateLimit: 120,
    auditTtlDays: 90,
    purgeIntervalMinutes: 10,
    keyPepper: undefined,
    webhook: NO_WEBHOOK,
    corsOrigins: [],
    encryption: { mode: "on", masterKeys: [], keyFile: "./data/master.key" },
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
    FACEGATE_MAX_DECODED_BYTES: "33554432",
    FACEGATE_ORT_THREADS: "2",
    FACEGATE_BODY_IDLE_TIMEOUT_MS: "500",
    FACEGATE_BODY_TIMEOUT_MS: "2000",
    FACEGATE_MAX_INFLIGHT_BODY_BYTES: "5000",
    FACEGATE_MAX_CONCURRENT: "3",
    FACEGATE_MAX_QUEUED: "7",
    FACEGATE_MATCH_STRATEGY: "top2",
    FACEGATE_AUTH: "off",
    FACEGATE_RATE_LIMIT: "0",
    FACEGATE_KEY_PEPPER: "0123456789abcdef",
    FACEGATE_ENCRYPTION: "off",
  });
  assert.deepEqual(config, {
    port: 0,
    host: "0.0.0.0",
    store: { kind: "kv", path: "/tmp/x.kv" },
    maxBodyBytes: 1000,
    maxPixels: 4000000,
    bodyIdleTimeoutMs: 500,
    bodyTimeoutMs: 2000,
    maxInflightBodyBytes: 5000,
    maxConcurrent: 3,
    maxQueued: 7,
    maxDecodedBytes: 33554432,
    ortThreads: 2,
    matchStrategy: "top2",
    auth: "off",
    rateLimit: 0,
    auditTtlDays: 90,
    purgeIntervalMinutes: 10,
    keyPepper: "0123456789abcdef",
    webhook: NO_WEBHOOK,
    corsOrigins: [],
    encryption: { mode: "off" },
  });
});

Deno.test("parseConfig() treats empty values as unset", () => {
  assert.deepEqual(parseConfig({ PORT: "", FACEGATE_STORE: " " }), parseConfig({}));
});

Deno.test("parseConfig() switches to Upstash when either pair of Redis credentials is set", () => {
  const key = { FACEGATE_MASTER_KEY: TEST_MASTER_KEY };
  assert.deepEqual(
    parseConfig({
      ...key,
      UPSTASH_REDIS_REST_URL: "https://r.example",
      UPSTASH_REDIS_REST_TOKEN: "t",
    })
      .store,
    { kind: "upstash", url: "https://r.example", token: "t" },
  );
  assert.deepEqual(
    parseConfig({ ...key, KV_REST_API_URL: "https://v.example", KV_REST_API_TOKEN: "t2" }).store,
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
    FACEGATE_AUTH: "none",
    FACEGATE_RATE_LIMIT: "lots",
  });
  const names = [
    "PORT",
    "FACEGATE_MAX_BODY_BYTES",
    "FACEGATE_MAX_PIXELS",
    "FACEGATE_ORT_THREADS",
    "FACEGATE_MATCH_STRATEGY",
    "FACEGATE_AUTH",
    "FACEGATE_RATE_LIMIT",
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

Deno.test("parseConfig() requires API keys unless FACEGATE_AUTH=off says otherwise", () => {
  assert.equal(parseConfig({}).auth, "keys");
  assert.equal(parseConfig({ FACEGATE_AUTH: "keys" }).auth, "keys");
  assert.equal(parseConfig({ FACEGATE_AUTH: "off" }).auth, "off");
  for (const bad of ["none", "OFF", "false", "0"]) {
    assert.match(problems({ FACEGATE_AUTH: bad })[0], /FACEGATE_AUTH must be "keys" or "off"/);
  }
});

Deno.test("parseConfig() reads the rate limit, pepper and Redis prefix and never echoes the pepper", () => {
  assert.equal(parseConfig({ FACEGATE_RATE_LIMIT: "30" }).rateLimit, 30);
  assert.match(problems({ FACEGATE_RATE_LIMIT: "-1" })[0], /FACEGATE_RATE_LIMIT/);
  const short = problems({ FACEGATE_KEY_PEPPER: "s3cret" });
  assert.match(short[0], /FACEGATE_KEY_PEPPER must be at least 16/);
  assert.ok(!short.join().includes("s3cret"));
  const redis = {
    UPSTASH_REDIS_REST_URL: "https://r.example",
    UPSTASH_REDIS_REST_TOKEN: "t",
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
  };
  assert.deepEqual(parseConfig({ ...redis, FACEGATE_REDIS_PREFIX: "t1:" }).store, {
    kind: "upstash",
    url: "https://r.example",
    token: "t",
    prefix: "t1:",
  });
  assert.match(problems({ ...redis, FACEGATE_REDIS_PREFIX: "a b" })[0], /FACEGATE_REDIS_PREFIX/);
});

Deno.test("parseConfig() reads FACEGATE_MAX_DECODED_BYTES at, just under and just over its range", () => {
  const read = (v: string) => parseConfig({ FACEGATE_MAX_DECODED_BYTES: v }).maxDecodedBytes;
  assert.equal(read("1"), 1);
  assert.equal(read(String(2 ** 32)), 2 ** 32);
  assert.equal(read(String(2 ** 32 - 1)), 2 ** 32 - 1);
  assert.equal(read(""), undefined);
  for (const bad of ["0", String(2 ** 32 + 1), "48MiB", "-1"]) {
    assert.match(
      problems({ FACEGATE_MAX_DECODED_BYTES: bad }).join(),
      /FACEGATE_MAX_DECODED_BYTES/,
    );
  }
});

Deno.test("parseConfig() does not rate-limit local development (auth off) unless asked", () => {
  assert.equal(parseConfig({ FACEGATE_AUTH: "off" }).rateLimit, 0);
  assert.equal(parseConfig({ FACEGATE_AUTH: "off", FACEGATE_RATE_LIMIT: "30" }).rateLimit, 30);
  assert.equal(parseConfig({ FACEGATE_AUTH: "keys" }).rateLimit, 120);
  assert.equal(parseConfig({}).rateLimit, 120);
});

Deno.test("parseConfig() reads FACEGATE_MASTER_KEY, several keys newest first", async () => {
  const enc = parseConfig({ FACEGATE_MASTER_KEY: ` ${TEST_MASTER_KEY} ,${OTHER_MASTER_KEY}` })
    .encryption;
  assert.equal(enc.mode, "on");
  if (enc.mode !== "on") return;
  assert.equal(enc.keyFile, undefined);
  assert.deepEqual(enc.masterKeys.map((k) => k.length), [32, 32]);
  const ring = await MasterKeyring.fromBytes(enc.masterKeys);
  const first = await MasterKeyring.fromText(TEST_MASTER_KEY);
  assert.equal(ring.newest.id, first.newest.id);
  assert.match(ring.newest.id, /^[0-9a-f]{8}$/);
  assert.equal(ring.ids.length, 2);
});

Deno.test("parseConfig() reports every bad master key setting at once and never echoes a key", () => {
  const short = btoa("x".repeat(31)), long = btoa("y".repeat(33));
  const found = problems({
    FACEGATE_MASTER_KEY: `${short},${TEST_MASTER_KEY},${long},${TEST_MASTER_KEY},not base64!`,
    FACEGATE_MASTER_KEY_FILE: "/tmp/k",
    PORT: "x",
  });
  assert.equal(found.length, 6, found.join("\n"));
  assert.match(found[1], /FACEGATE_MASTER_KEY entry 1 is not base64 of 32 bytes/);
  assert.match(found[2], /entry 3 is not base64 of 32 bytes/);
  assert.match(found[3], /entry 4 repeats an earlier key/);
  assert.match(found[4], /entry 5 is not base64/);
  assert.match(found[5], /both set/);
  for (const k of [short, long, TEST_MASTER_KEY]) assert.ok(!found.join().includes(k));
  // 32 bytes is the only accepted size: 31 and 33 fail above, 32 passes.
  assert.deepEqual(problems({ FACEGATE_MASTER_KEY: btoa("z".repeat(32)) }), []);
});

Deno.test("parseConfig() needs a master key for Upstash, defaults to a key file beside Deno KV, and takes FACEGATE_ENCRYPTION=off", () => {
  const redis = { UPSTASH_REDIS_REST_URL: "https://r.example", UPSTASH_REDIS_REST_TOKEN: "t" };
  assert.match(problems(redis)[0], /FACEGATE_MASTER_KEY is required with the upstash store/);
  assert.deepEqual(parseConfig({ ...redis, FACEGATE_ENCRYPTION: "off" }).encryption, {
    mode: "off",
  });
  assert.deepEqual(
    parseConfig({ ...redis, FACEGATE_MASTER_KEY_FILE: "/run/secrets/fg" }).encryption,
    { mode: "on", masterKeys: [], keyFile: "/run/secrets/fg" },
  );
  assert.deepEqual(parseConfig({ FACEGATE_KV_PATH: "/srv/fg/db.kv" }).encryption, {
    mode: "on",
    masterKeys: [],
    keyFile: "/srv/fg/master.key",
  });
  assert.deepEqual(parseConfig({ FACEGATE_STORE: "memory" }).encryption, {
    mode: "on",
    masterKeys: [],
    keyFile: undefined,
  });
  for (const bad of ["yes", "OFF", "0"]) {
    assert.match(problems({ FACEGATE_ENCRYPTION: bad })[0], /FACEGATE_ENCRYPTION must be/);
  }
});

Deno.test("parseConfig() reads FACEGATE_PURGE_INTERVAL_MINUTES at, just under and just over its range", () => {
  const read = (v: string) => parseConfig({ FACEGATE_PURGE_INTERVAL_MINUTES: v });
  assert.equal(read("0").purgeIntervalMinutes, 0);
  assert.equal(read("1").purgeIntervalMinutes, 1);
  assert.equal(read("1439").purgeIntervalMinutes, 1439);
  assert.equal(read("1440").purgeIntervalMinutes, 1440);
  for (const bad of ["-1", "1441", "5.5", "soon"]) {
    assert.match(
      problems({ FACEGATE_PURGE_INTERVAL_MINUTES: bad })[0],
      /FACEGATE_PURGE_INTERVAL_MINUTES/,
    );
  }
});
