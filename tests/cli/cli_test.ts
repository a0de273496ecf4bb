/**
 * The CLIs run as subprocesses, as a user runs them: `--help`, exit codes (0 match / 1 no match /
 * 2 usage or error), one-line errors, refusal hints, progress, `Retry-After` on 429, and the
 * server's one-line "port in use". Most run against an in-process server (`--url`) so the models
 * load once; one pair runs on a local Deno KV file without `--url`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DATA_ROOT, makeApp } from "../functions/_fixtures.ts";
import { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds } from "../../cli/_client.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

const ROOT = new URL("../../", import.meta.url);
const SERENA = `${DATA_ROOT}/faces/Serena_Williams`;
const KARZAI = `${DATA_ROOT}/faces/Hamid_Karzai/Hamid_Karzai_0001.jpg`;
const MULTI = `${DATA_ROOT}/faces-misc/multi_facenet-pytorch_multiface.jpg`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cli/<name>.ts args` in a fresh Deno process. */
async function cli(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `cli/${name}.ts`, ...args],
    cwd: ROOT,
    env: { FACEGATE_STORE: "memory", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Asserts a one-line `error: …` on stderr (no stack trace) matching `pattern`. */
function assertOneLineError(run: Run, pattern: RegExp): void {
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line expected:\n${run.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /Uncaught|\n {4}at /);
}

/** A test server on a loopback port that answers 429 (Retry-After: 1) to the first `throttle` requests. */
function startServer(throttle = 0) {
  const { app } = makeApp();
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(new URL(req.url).pathname);
    if (seen.length <= throttle) {
      return new Response(JSON.stringify({ code: "rate_limited", status: 429 }), {
        status: 429,
        headers: { "retry-after": "1", "content-type": "application/problem+json" },
      });
    }
    return app.fetch(req);
  });
  return { app, url: `http://127.0.0.1:${server.addr.port}`, seen, stop: () => server.shutdown() };
}

/** A folder of `<subject>/<image>` copies (in a temp dir, never the repo). */
async function enrollFolder(files: Record<string, string[]>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "facegate_cli_" });
  for (const [subject, paths] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${subject}`);
    for (const p of paths) await Deno.copyFile(p, `${dir}/${subject}/${p.split("/").pop()}`);
  }
  return dir;
}

for (const name of ["enroll", "identify", "verify", "keys"]) {
  Deno.test(`${name} --help prints the usage and exit codes on stdout and exits 0`, async () => {
    for (const flag of ["--help", "-h"]) {
      const run = await cli(name, [flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Usage: deno task ${name}`));
      assert.match(run.stdout, /Exit codes/);
    }
  });

  Deno.test(`${name} refuses an unknown option in one line with exit code 2`, async () => {
    const run = await cli(name, ["--bogus"]);
    assert.equal(run.code, 2);
    assertOneLineError(run, /unknown option --bogus \(see --help\)/);
  });
}

Deno.test("the collection CLIs need --collection and their positionals (exit code 2)", async () => {
  for (const name of ["enroll", "identify", "verify"]) {
    const run = await cli(name, [`${SERENA}/Serena_Williams_0001.jpg`]);
    assert.equal(run.code, 2);
    assertOneLineError(run, /--collection is required/);
  }
  assertOneLineError(
    await cli("verify", ["--collection", "c", "serena"]),
    /give SUBJECT and IMAGE/,
  );
  assertOneLineError(await cli("identify", ["--collection", "c"]), /at least one IMAGE/);
  assertOneLineError(await cli("enroll", ["--collection", "c"]), /exactly one folder/);
  const max = await cli("enroll", ["--collection", "c", "--max", "0", SERENA]);
  assertOneLineError(max, /--max must be a positive integer/);
});

Deno.test("missing paths are one-line errors naming the path (exit code 2)", async () => {
  const dir = await cli("enroll", ["--collection", "c", "/nonexistent/faces"]);
  assert.equal(dir.code, 2);
  assertOneLineError(dir, /\/nonexistent\/faces: no such folder/);
  const file = await cli("enroll", ["--collection", "c", `${SERENA}/Serena_Williams_0001.jpg`]);
  assertOneLineError(file, /is a file: give the folder/);
  const verify = await cli("verify", ["--collection", "c", "serena", "/nonexistent.jpg"]);
  assert.equal(verify.code, 2);
  assertOneLineError(verify, /cannot read image \/nonexistent\.jpg: no such file/);
  const identify = await cli("identify", ["--collection", "c", KARZAI, "/nonexistent.jpg"]);
  assert.equal(identify.code, 2);
  assertOneLineError(identify, /cannot read image \/nonexistent\.jpg: no such file/);
});

Deno.test("an unreachable server is one line naming it (exit code 2)", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // a port nothing listens on
  const url = `http://127.0.0.1:${port}`;
  for (
    const [name, args] of [
      ["verify", ["--url", url, "--collection", "c", "serena", KARZAI]],
      ["identify", ["--url", url, "--collection", "c", KARZAI]],
    ] as const
  ) {
    const run = await cli(name, [...args]);
    assert.equal(run.code, 2);
    assertOneLineError(run, new RegExp(`cannot reach ${url} \\(connection refused\\)`));
  }
  const bad = await cli("verify", ["--url", "localhost:8000", "--collection", "c", "s", KARZAI]);
  assertOneLineError(bad, /--url must be an http\(s\) URL/);
});

Deno.test("enroll, verify and identify against a server: exit codes, hints and progress", async () => {
  const server = startServer();
  const dir = await enrollFolder({
    serena: [`${SERENA}/Serena_Williams_0001.jpg`, `${SERENA}/Serena_Williams_0002.jpg`],
    crowd: [MULTI],
  });
  const base = ["--url", server.url, "--collection", "cli"];
  try {
    const enroll = await cli("enroll", [...base, dir]);
    assert.equal(enroll.code, 1, enroll.stderr); // one image refused
    assert.match(enroll.stderr, /2 enrolled, 0 already enrolled \(1 subject\(s\) in "cli"/);
    assert.match(enroll.stderr, /refused, multiple_faces \(1\)/);
    assert.match(enroll.stderr, /pass --face largest/);
    assert.match(enroll.stderr, /progress 3\/3/);

    const all = await cli("enroll", [...base, "--face", "largest", dir]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /3 enrolled, 0 already enrolled \(2 subject\(s\)/);
    // The same run again: every image carries the same Idempotency-Key, nothing is enrolled twice.
    const again = await cli("enroll", [...base, "--face", "largest", dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /0 enrolled, 3 already enrolled \(2 subject\(s\)/);
    const serena = await fetch(`${server.url}/v1/collections/cli/subjects/serena`)
      .then((r) => r.json());
    assert.equal(serena.face_count, 4, "two runs with different --face, one re-run adding nothing");
    // After serena is deleted her remembered answers are erased (409 reason erased): a re-run
    // enrolls her images again, knowingly, and the crowd's answer is still replayed.
    const gone = await fetch(`${server.url}/v1/collections/cli/subjects/serena`, {
      method: "DELETE",
    });
    assert.equal(gone.status, 204);
    const back = await cli("enroll", [...base, "--face", "largest", dir]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stderr, /2 enrolled, 1 already enrolled \(2 subject\(s\)/);
    const twice = await cli("enroll", [...base, "--face", "largest", dir]);
    assert.match(twice.stderr, /0 enrolled, 3 already enrolled/, "re-enrolled once, not twice");
    const restored = await fetch(`${server.url}/v1/collections/cli/subjects/serena`)
      .then((r) => r.json());
    assert.equal(restored.face_count, 2);

    const match = await cli("verify", [...base, "serena", `${SERENA}/Serena_Williams_0003.jpg`]);
    assert.equal(match.code, 0, match.stderr);
    assert.equal(JSON.parse(match.stdout).match, true);
    const noMatch = await cli("verify", [...base, "serena", KARZAI]);
    assert.equal(noMatch.code, 1, noMatch.stderr);
    assert.equal(JSON.parse(noMatch.stdout).match, false);
    const unknown = await cli("verify", [...base, "nobody", KARZAI]);
    assert.equal(unknown.code, 2);
    assertOneLineError(unknown, /subject_not_found: .*; check the subject name/);

    const found = await cli("identify", [...base, `${SERENA}/Serena_Williams_0003.jpg`]);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).match.subject, "serena");
    const mixed = await cli("identify", [...base, `${SERENA}/Serena_Williams_0003.jpg`, KARZAI]);
    assert.equal(mixed.code, 1, mixed.stderr);
    const lines = mixed.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.match?.subject ?? null), ["serena", null]);
    assert.match(mixed.stderr, /progress 2\/2/);
    const typo = await cli("identify", ["--url", server.url, "--collection", "clj", KARZAI]);
    assert.equal(typo.code, 2);
    assertOneLineError(typo, /collection_not_found: .*; check the collection name/);
    const single = await cli("identify", [...base, "--face", "single", MULTI]);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /refused: .*multiple_faces: .*pass --face largest/);
    assert.equal(JSON.parse(single.stdout).error.code, "multiple_faces");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLIs wait for Retry-After on 429 and then succeed", async () => {
  const server = startServer(2);
  const base = ["--url", server.url, "--collection", "cli"];
  try {
    const enrolled = await server.app.request("/v1/collections/cli/subjects/serena/faces", {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: await Deno.readFile(`${SERENA}/Serena_Williams_0001.jpg`),
    });
    assert.equal(enrolled.status, 201);
    const run = await cli("identify", [...base, KARZAI]);
    assert.equal(run.code, 1, run.stderr); // a stranger: no match, but answered
    assert.equal(server.seen.length, 3);
    assert.match(run.stderr, /rate limited by .*: retrying in 1 s \(Retry-After, attempt 1\/5\)/);
    assert.match(run.stderr, /attempt 2\/5/);
  } finally {
    await server.stop();
  }
});

Deno.test("retryAfterSeconds() reads seconds or a date and clamps at the limit", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterSeconds("5", now), 5);
  assert.equal(retryAfterSeconds("0", now), 0);
  assert.equal(retryAfterSeconds(null, now), 1);
  assert.equal(retryAfterSeconds("soon", now), 1);
  assert.equal(retryAfterSeconds("Thu, 01 Jan 2026 00:00:30 GMT", now), 30);
  assert.equal(retryAfterSeconds(String(MAX_RETRY_AFTER_SECONDS - 1), now), 119);
  assert.equal(retryAfterSeconds(String(MAX_RETRY_AFTER_SECONDS), now), 120);
  assert.equal(retryAfterSeconds(String(MAX_RETRY_AFTER_SECONDS + 1), now), 120);
});

Deno.test("keys: exit 0 on success, 1 when revoke names no key, 2 on usage errors", async () => {
  const created = await cli("keys", [
    "create",
    "--name",
    "t",
    "--role",
    "verify",
    "--collections",
    "a",
    "--json",
  ]);
  assert.equal(created.code, 0, created.stderr);
  const missing = await cli("keys", ["revoke", "0123456789abcdef"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no key 0123456789abcdef/);
  assertOneLineError(await cli("keys", ["revoke"]), /revoke needs a key id/);
  assert.equal((await cli("keys", ["revoke"])).code, 2);
  assertOneLineError(await cli("keys", ["rotate"]), /unknown command "rotate"/);
  assertOneLineError(await cli("keys", ["create", "--name", "x"]), /create needs --name, --role/);
  assertOneLineError(await cli("keys", []), /give a command: create, list or revoke/);
});

Deno.test("without --url the CLIs use the local store: enroll then verify on one KV file", async () => {
  const kv = await Deno.makeTempDir({ prefix: "facegate_cli_kv_" });
  const dir = await enrollFolder({ serena: [`${SERENA}/Serena_Williams_0001.jpg`] });
  const env = {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: `${kv}/facegate.kv`,
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
  };
  try {
    const enroll = await cli("enroll", ["--collection", "local", dir], env);
    assert.equal(enroll.code, 0, enroll.stderr);
    assert.match(enroll.stderr, /, local kv store\)/);
    const verify = await cli(
      "verify",
      ["--collection", "local", "serena", `${SERENA}/Serena_Williams_0004.jpg`],
      env,
    );
    assert.equal(verify.code, 0, verify.stderr);
  } finally {
    await Deno.remove(kv, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the server names a port already in use in one line and exits 2", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "functions/main.ts"],
      cwd: ROOT,
      env: { PORT: String(port), HOST: "127.0.0.1", FACEGATE_STORE: "memory" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const run = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
    assert.equal(run.code, 2);
    assertOneLineError(run, new RegExp(`port ${port} is already in use`));
  } finally {
    listener.close();
  }
});
