/**
 * The Deno entry as a user starts it: its start-up line states what `/healthz` states.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the start-up line states the default recipe and thresholds /healthz states, and the favicon answers", async () => {
  const kv = await Deno.makeTempDir({ prefix: "facegate_main_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "functions/main.ts"],
    cwd: ROOT,
    env: { PORT: "0", FACEGATE_AUTH: "off", FACEGATE_STORE: "memory", FACEGATE_KV_PATH: `${kv}/x` },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let out = "";
    let line: { url: string; [k: string]: unknown } | undefined;
    const deadline = Date.now() + 60_000;
    while (!line && Date.now() < deadline) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
      line = out.split("\n").filter((l) => l.includes('"facegate listening"'))
        .map((l) => JSON.parse(l))[0];
    }
    assert.ok(line, `no start-up line:\n${out}`);
    // Asking /healthz in-process is not logged as a request.
    assert.doesNotMatch(out, /"msg":"request"/);
    const url: string = line.url;
    const health = await (await fetch(`${url}/healthz`)).json();
    for (const field of ["store", "model", "strategy", "thresholds"]) {
      assert.deepEqual(line[field], health[field], field);
    }
    assert.match(String(line.model), /\+noflip$/);
    for (const path of ["/favicon.ico", "/favicon.svg"]) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("content-type"), "image/svg+xml");
      assert.match(await res.text(), /^<svg /);
    }
  } finally {
    child.kill("SIGTERM");
    await lines.cancel().catch(() => {});
    await child.status;
    await Deno.remove(kv, { recursive: true });
  }
});
