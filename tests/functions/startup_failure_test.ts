/**
 * A start that cannot succeed prints one line on stderr and exits with code 1 — never an uncaught
 * `FaceError` with a stack — for each kind of start-up failure of the Deno entry.
 *
 * @module
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

async function start(env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "facegate_start_" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "functions/main.ts"],
      cwd: ROOT,
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
        PORT: "0",
        FACEGATE_KV_PATH: `${dir}/faces.kv`,
        ...(Deno.env.get("FACEGATE_DATA") ? { FACEGATE_DATA: Deno.env.get("FACEGATE_DATA")! } : {}),
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [what, env, pattern] of [
    ["no master key", {}, /^error: Cannot start: no master key: set FACEGATE_MASTER_KEY/],
    [
      "a master key that is not 32 bytes of base64",
      { FACEGATE_MASTER_KEY: "c2hvcnQ=" },
      /^error: Cannot start: .*FACEGATE_MASTER_KEY/,
    ],
    [
      "invalid settings",
      { FACEGATE_MAX_QUEUED: "abc", FACEGATE_MASTER_KEY: "x" },
      /^error: Cannot start: \d invalid setting\(s\): .*FACEGATE_MAX_QUEUED/,
    ],
  ] as const
) {
  Deno.test(`a start with ${what} prints one line on stderr and exits with code 1`, async () => {
    const { code, stderr } = await start(env);
    assert.equal(code, 1, stderr);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], pattern);
    assert.doesNotMatch(stderr, /Uncaught|\bat .*\.ts:\d+/);
  });
}
