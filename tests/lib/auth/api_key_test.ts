import assert from "node:assert/strict";
import {
  type ApiKeyInfo,
  authenticateApiKey,
  createApiKey,
  generateApiKey,
  hashApiKey,
  MemoryKeyStore,
  parseApiKey,
  timingSafeEqual,
  verifyApiKeyHash,
} from "../../../lib/auth/mod.ts";

const PEPPER = "pepper-0123456789abcdef";

Deno.test("generateApiKey() makes fg_<16 hex>_<43 base64url> keys with ≥128 random bits, all distinct", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const { id, key } = generateApiKey();
    assert.match(key, /^fg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.ok(key.startsWith(`fg_${id}_`));
    // 43 base64url characters carry 258 bits, of which 256 are random.
    seen.add(key);
    seen.add(id);
  }
  assert.equal(seen.size, 400);
});

Deno.test("parseApiKey() reads the id of well-formed keys and refuses anything else", () => {
  const { id, key } = generateApiKey();
  assert.deepEqual(parseApiKey(key), { id, key });
  for (
    const bad of [
      "",
      "fg_",
      key.slice(0, -1),
      key + "x",
      key.replace("fg_", "fx_"),
      key.toUpperCase(),
      ` ${key}`,
      `fg_0123456789abcdeg_${"a".repeat(43)}`,
    ]
  ) {
    assert.equal(parseApiKey(bad), null, bad);
  }
});

Deno.test("hashApiKey() is SHA-256 without a pepper and HMAC-SHA-256 with one", async () => {
  // SHA-256("abc"), the FIPS 180-2 test vector.
  assert.equal(
    await hashApiKey("abc"),
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  // HMAC-SHA-256 of RFC 4231 test case 2 (key "Jefe").
  assert.equal(
    await hashApiKey("what do ya want for nothing?", "Jefe"),
    "hmac-sha256:5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  );
});

Deno.test("verifyApiKeyHash() accepts the right key only, an HMAC hash only with its pepper, and with a pepper no plain SHA-256 hash", async () => {
  const { key } = generateApiKey();
  const other = generateApiKey().key;
  const plain = await hashApiKey(key);
  const peppered = await hashApiKey(key, PEPPER);
  assert.equal(await verifyApiKeyHash(key, plain), true);
  // A pepper means peppered hashes only: a plain hash planted in the key store is refused.
  assert.equal(await verifyApiKeyHash(key, plain, PEPPER), false);
  assert.equal(await verifyApiKeyHash(other, plain), false);
  assert.equal(await verifyApiKeyHash(key, peppered, PEPPER), true);
  assert.equal(await verifyApiKeyHash(key, peppered), false);
  assert.equal(await verifyApiKeyHash(key, peppered, PEPPER + "x"), false);
  assert.equal(await verifyApiKeyHash(key, "md5:abc"), false);
  assert.equal(await verifyApiKeyHash(key, ""), false);
});

Deno.test("timingSafeEqual() compares whole strings", () => {
  assert.equal(timingSafeEqual("", ""), true);
  assert.equal(timingSafeEqual("abcd", "abcd"), true);
  assert.equal(timingSafeEqual("abcd", "abce"), false);
  assert.equal(timingSafeEqual("abcd", "abc"), false);
  assert.equal(timingSafeEqual("Abcd", "abcd"), false);
});

Deno.test("createApiKey() stores only a hash and returns the key once", async () => {
  const store = new MemoryKeyStore();
  const now = () => new Date("2025-01-02T03:04:05.000Z");
  const { key, info } = await createApiKey(
    store,
    { name: "kiosk 3", role: "verify", collections: ["a", "b", "a"] },
    { pepper: PEPPER, now },
  );
  assert.deepEqual(info, {
    id: info.id,
    name: "kiosk 3",
    role: "verify",
    collections: ["a", "b"],
    created_at: "2025-01-02T03:04:05.000Z",
    revoked_at: null,
  });
  const [record] = await store.list();
  assert.match(record.hash, /^hmac-sha256:[0-9a-f]{64}$/);
  assert.ok(!JSON.stringify(record).includes(key.slice(20)));
  assert.ok(!("hash" in info));
});

Deno.test("createApiKey() refuses a bad name, role or collection with every problem listed", async () => {
  const store = new MemoryKeyStore();
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    createApiKey(store, { name: "", role: "root" as any, collections: ["ok", "a:b"] }),
    (err: { code: string; details: { problems: string[] } }) => {
      assert.equal(err.code, "invalid_request");
      assert.equal(err.details.problems.length, 3);
      return true;
    },
  );
  await assert.rejects(
    createApiKey(store, { name: "x", role: "admin", collections: [] }),
    { code: "invalid_request" },
  );
  assert.deepEqual(await store.list(), []);
});

async function rejectsUnauthorized(p: Promise<ApiKeyInfo>, reason: string): Promise<void> {
  await assert.rejects(p, (err: { code: string; details: { reason: string }; message: string }) => {
    assert.equal(err.code, "unauthorized");
    assert.equal(err.details.reason, reason);
    assert.ok(!err.message.includes("fg_"), err.message);
    return true;
  });
}

Deno.test("authenticateApiKey() returns a valid key's info and refuses missing, malformed, wrong, unknown and revoked keys", async () => {
  const store = new MemoryKeyStore();
  const { key, info } = await createApiKey(store, { name: "k", role: "enroll", collections: "*" });
  assert.deepEqual(await authenticateApiKey(store, `Bearer ${key}`), info);
  assert.deepEqual(await authenticateApiKey(store, `bearer  ${key} `), info);
  await rejectsUnauthorized(authenticateApiKey(store, undefined), "missing");
  await rejectsUnauthorized(authenticateApiKey(store, key), "missing");
  await rejectsUnauthorized(authenticateApiKey(store, `Basic ${btoa("a:b")}`), "missing");
  await rejectsUnauthorized(authenticateApiKey(store, "Bearer abc"), "invalid");
  const wrongSecret = key.slice(0, -4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
  await rejectsUnauthorized(authenticateApiKey(store, `Bearer ${wrongSecret}`), "invalid");
  await rejectsUnauthorized(authenticateApiKey(store, `Bearer ${generateApiKey().key}`), "invalid");
  await store.revoke(info.id, "2025-01-01T00:00:00.000Z");
  await rejectsUnauthorized(authenticateApiKey(store, `Bearer ${key}`), "invalid");
});

Deno.test("authenticateApiKey() needs the pepper a key was made with", async () => {
  const store = new MemoryKeyStore();
  const { key } = await createApiKey(store, { name: "k", role: "admin", collections: "*" }, {
    pepper: PEPPER,
  });
  assert.equal((await authenticateApiKey(store, `Bearer ${key}`, PEPPER)).role, "admin");
  await rejectsUnauthorized(authenticateApiKey(store, `Bearer ${key}`), "invalid");
});
