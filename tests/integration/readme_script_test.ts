/**
 * The README's examples run, in order, against fresh servers (`tools/readme_script.ts`), and every
 * call answers 2xx or the status its line announces.
 *
 * @module
 */
import assert from "node:assert/strict";
import { callOk, expectedStatus, readmeBlocks, runReadme } from "../../tools/readme_script.ts";

const README = await Deno.readTextFile(new URL("../../README.md", import.meta.url));

Deno.test("readmeBlocks() finds the marked sh blocks in order; expectedStatus() reads # → NNN", () => {
  const md = "<!-- readme-script: dev -->\n```sh\necho a\n```\ntext\n```sh\nnot marked\n```\n" +
    "<!-- readme-script: keys -->\n```sh\necho b\n```\n";
  assert.deepEqual(readmeBlocks(md), [
    { server: "dev", code: "echo a" },
    { server: "keys", code: "echo b" },
  ]);
  assert.equal(expectedStatus("curl -s $B/x   # → 403 (admin only)"), 403);
  assert.equal(expectedStatus("curl -s $B/x   # a comment"), undefined);
  const call = { line: "", body: "", expected: undefined };
  assert.equal(callOk({ ...call, status: 204 }), true);
  assert.equal(callOk({ ...call, status: 404 }), false);
  assert.equal(callOk({ ...call, status: 403, expected: 403 }), true);
  assert.equal(callOk({ ...call, status: 200, expected: 403 }), false);
});

Deno.test("the README has runnable blocks and no placeholder a shell cannot parse", () => {
  const blocks = readmeBlocks(README);
  assert.ok(blocks.some((b) => b.server === "dev"));
  assert.ok(blocks.some((b) => b.server === "keys"));
  for (const b of blocks) assert.doesNotMatch(b.code, /<[a-z_]+>/, "no <placeholder> in a script");
});

Deno.test("the README's examples run in order against fresh servers and every call answers as shown", async () => {
  const calls = await runReadme(README);
  assert.ok(calls.length >= 15, `${calls.length} calls`);
  const failed = calls.filter((c) => !callOk(c)).map((c) => `${c.status} ${c.line}\n${c.body}`);
  assert.deepEqual(failed, []);
  // The captured face id reached the delete: its answer is 204, not 404.
  const deleteFace = calls.find((c) => c.line.includes("/faces/$FACE"));
  assert.equal(deleteFace?.status, 204);
});
