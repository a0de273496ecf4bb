/**
 * `deno task dev:worker` (tools/dev_worker.ts): one command brings up the Worker on workerd with a
 * real redis-server behind the Upstash REST bridge and auth off, and the README's `dev` examples
 * (detect, embed, compare, enroll, verify, identify, delete, liveness, policies…) answer on it as
 * they do on `deno task dev`. Needs redis-server (else fails, or is ignored with
 * FACEGATE_SKIP_REDIS=1) and wrangler (`npm install --include=dev`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { callOk, runReadme } from "../../tools/readme_script.ts";
import { redisTest } from "./_redis_fixture.ts";

const README = await Deno.readTextFile(new URL("../../README.md", import.meta.url));

redisTest(
  "deno task dev:worker answers the README's dev examples (a verify among them) on workerd",
  async () => {
    const calls = await runReadme(README, { dev: ["task", "dev:worker"], keys: false });
    assert.ok(calls.length >= 15, `${calls.length} calls`);
    const failed = calls.filter((c) => !callOk(c)).map((c) => `${c.status} ${c.line}\n${c.body}`);
    assert.deepEqual(failed, []);
    const verify = calls.find((c) => /\/verify\b/.test(c.line) && c.status === 200);
    assert.ok(verify, "a verify was answered");
    assert.equal(JSON.parse(verify.body).match, true);
  },
);
