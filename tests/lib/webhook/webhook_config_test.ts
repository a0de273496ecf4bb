import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config.ts";
import { isFaceError } from "../../../lib/errors.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    assert.ok(isFaceError(err, "invalid_request"));
    return err.details?.problems as string[];
  }
}

Deno.test("parseConfig() reads every FACEGATE_WEBHOOK_* variable", () => {
  const { webhook } = parseConfig({
    FACEGATE_WEBHOOK_SECRET: `${SECRET}, whsec_${btoa("a-second-secret-for-rotation")}`,
    FACEGATE_WEBHOOK_ALLOWED_HOSTS: "Uploads.example.com, *.cdn.example.com,127.0.0.1",
    FACEGATE_WEBHOOK_TOLERANCE_SECONDS: "60",
    FACEGATE_WEBHOOK_IDEMPOTENCY_TTL_SECONDS: "3600",
    FACEGATE_WEBHOOK_FETCH_TIMEOUT_MS: "2500",
    FACEGATE_WEBHOOK_MAX_REDIRECTS: "0",
    FACEGATE_WEBHOOK_CALLBACK_URL: "https://hooks.example.com/done",
    FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK: "1",
  });
  assert.equal(webhook.secrets.length, 2);
  assert.deepEqual(webhook.allowedHosts, ["uploads.example.com", "*.cdn.example.com", "127.0.0.1"]);
  assert.equal(webhook.toleranceSeconds, 60);
  assert.equal(webhook.idempotencyTtlSeconds, 3600);
  assert.equal(webhook.fetchTimeoutMs, 2500);
  assert.equal(webhook.maxRedirects, 0);
  assert.equal(webhook.callbackUrl, "https://hooks.example.com/done");
  assert.equal(webhook.allowInsecureLoopback, true);
});

Deno.test("parseConfig() reports every bad webhook variable without echoing secrets", () => {
  const found = problems({
    FACEGATE_WEBHOOK_SECRET: "whsec_c2hvcnQ=,whsec_%%%secretvalue",
    FACEGATE_WEBHOOK_ALLOWED_HOSTS: "*,*.com,ok.example.com",
    FACEGATE_WEBHOOK_TOLERANCE_SECONDS: "0",
    FACEGATE_WEBHOOK_CALLBACK_URL: "http://hooks.example.com/",
    FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK: "yes",
  });
  assert.equal(found.length, 7, found.join("\n"));
  assert.ok(!found.join(" ").includes("secretvalue"));
  assert.ok(!found.join(" ").includes("c2hvcnQ"));
});

Deno.test("parseConfig() refuses a callback URL without a secret to sign it", () => {
  assert.equal(problems({ FACEGATE_WEBHOOK_CALLBACK_URL: "https://hooks.example.com/" }).length, 1);
});

Deno.test("parseConfig() binds each webhook secret to the collections after its colon", () => {
  const { webhook } = parseConfig({
    FACEGATE_WEBHOOK_SECRET: `${SECRET}:lobby|gate-2, ${SECRET}:*, ${SECRET}`,
  });
  assert.deepEqual(webhook.secrets, [SECRET, SECRET, SECRET]);
  assert.deepEqual(webhook.scopes, [["lobby", "gate-2"], "*", "*"]);
  const found = problems({ FACEGATE_WEBHOOK_SECRET: `${SECRET}:lobby|bad name` });
  assert.equal(found.length, 1, found.join("\n"));
  assert.ok(!found[0].includes(SECRET.slice(6)), "the message does not echo the secret");
});
