import assert from "node:assert/strict";
import {
  decodeWebhookSecret,
  signWebhook,
  verifyWebhook,
  type VerifyWebhookOptions,
} from "../../../lib/webhook/mod.ts";

// The Standard Webhooks specification's published example.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const BODY = '{"test": 2432232314}';
const SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const OTHER = "whsec_" + btoa("another-secret-of-32-bytes-long!");

function headers(sig = SIG, ts = String(TS), id = ID): Headers {
  return new Headers({ "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig });
}

const at = (seconds: number, secrets = [SECRET]): VerifyWebhookOptions => ({
  secrets,
  now: seconds * 1000,
});

Deno.test("signWebhook() reproduces the Standard Webhooks example signature", async () => {
  assert.equal(await signWebhook(SECRET, ID, TS, BODY), SIG);
});

Deno.test("verifyWebhook() accepts the Standard Webhooks example", async () => {
  assert.deepEqual(await verifyWebhook(headers(), BODY, at(TS)), {
    id: ID,
    timestamp: TS,
    secretIndex: 0,
  });
});

Deno.test("verifyWebhook() accepts any of several space-separated signatures", async () => {
  const other = await signWebhook(OTHER, ID, TS, BODY);
  const header = `v1a,c29tZXRoaW5n ${other} v1,!!notbase64 ${SIG}`;
  assert.equal((await verifyWebhook(headers(header), BODY, at(TS))).id, ID);
});

Deno.test("verifyWebhook() accepts a delivery signed with any configured secret (rotation)", async () => {
  const sig = await signWebhook(OTHER, ID, TS, BODY);
  assert.equal((await verifyWebhook(headers(sig), BODY, at(TS, [SECRET, OTHER]))).id, ID);
  await assert.rejects(verifyWebhook(headers(sig), BODY, at(TS)), { code: "unauthorized" });
});

Deno.test("verifyWebhook() refuses a tampered body, id or timestamp", async () => {
  await assert.rejects(verifyWebhook(headers(), '{"test": 2432232315}', at(TS)), {
    code: "unauthorized",
  });
  await assert.rejects(verifyWebhook(headers(SIG, String(TS), "msg_other"), BODY, at(TS)), {
    code: "unauthorized",
  });
  await assert.rejects(verifyWebhook(headers(SIG, String(TS + 1)), BODY, at(TS)), {
    code: "unauthorized",
  });
});

Deno.test("verifyWebhook() refuses timestamps outside the tolerance, past and future", async () => {
  await verifyWebhook(headers(), BODY, at(TS + 300));
  await verifyWebhook(headers(), BODY, at(TS - 300));
  await assert.rejects(verifyWebhook(headers(), BODY, at(TS + 301)), /300 s/);
  await assert.rejects(verifyWebhook(headers(), BODY, at(TS - 301)), { code: "unauthorized" });
  await assert.rejects(
    verifyWebhook(headers(), BODY, { ...at(TS + 61), toleranceSeconds: 60 }),
    { code: "unauthorized" },
  );
});

Deno.test("verifyWebhook() refuses missing or malformed headers", async () => {
  await assert.rejects(verifyWebhook(new Headers(), BODY, at(TS)), { code: "unauthorized" });
  await assert.rejects(verifyWebhook(headers(SIG, "1614265330.5"), BODY, at(TS)), {
    code: "unauthorized",
  });
  await assert.rejects(verifyWebhook(headers(SIG, String(TS), "has space"), BODY, at(TS)), {
    code: "unauthorized",
  });
  await assert.rejects(verifyWebhook(headers("g0hM9SsE"), BODY, at(TS)), {
    code: "unauthorized",
  });
});

Deno.test("verifyWebhook() never puts a secret in its message", async () => {
  const err = await verifyWebhook(headers("v1,AAAA"), BODY, at(TS)).catch((e) => e);
  assert.ok(!String(err.message).includes("MfKQ9r8G"));
});

Deno.test("decodeWebhookSecret() takes whsec_ or bare base64 and refuses short or bad ones", () => {
  assert.deepEqual(decodeWebhookSecret(SECRET), decodeWebhookSecret(SECRET.slice(6)));
  assert.throws(() => decodeWebhookSecret("whsec_c2hvcnQ="), RangeError);
  assert.throws(() => decodeWebhookSecret("whsec_%%%"), RangeError);
});
