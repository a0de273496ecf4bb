/**
 * The end-to-end API scenario, shared by the Deno KV run (`api_e2e_test.ts`) and the Redis run
 * (`api_e2e_redis_test.ts`): the real server (functions/main.ts) as a subprocess on a free
 * loopback port with API keys on, an admin key made by `cli/keys.ts` on the same store, driven
 * over HTTP with dev-set LFW photos. Prints rank-1 accuracy and false-identification counts to
 * stderr. Every response is checked against the server's `/openapi.json` (`_contract.ts`: the
 * status documented, the JSON body valid against its schema).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dataDir } from "../_data.ts";
import { contractOf } from "./_contract.ts";

const DATA = dataDir();
const ROOT = new URL("../../", import.meta.url);
/** Enrolled identities (the first ones, by name, with at least two usable photos). */
const ENROLLED = 24;
/** Photos enrolled per identity, at most; one more is held out. */
const PER_SUBJECT = 3;
/** People with a single photo, never enrolled. */
const STRANGERS = 16;

interface Person {
  name: string;
  photos: string[];
}

function readManifest(): Person[] {
  const text = Deno.readTextFileSync(`${DATA}/faces/manifest.csv`);
  const byName = new Map<string, string[]>();
  for (const line of text.trim().split("\n").slice(1)) {
    const [path, identity, source] = line.split(",");
    if (source !== "lfw-deepfunneled") continue;
    if (!byName.has(identity)) byName.set(identity, []);
    byName.get(identity)!.push(path);
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, photos]) => ({
    name,
    photos: photos.sort(),
  }));
}

/** The server subprocess. */
export interface ServerProcess {
  /** Base URL. */
  url: string;
  /** Request log lines seen so far. */
  requests(): number;
  /** Every stdout log line, to check that no key was logged. */
  logText(): string;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<void>;
}

/**
 * Makes an admin key with `deno task keys create` on the store `env` configures.
 *
 * @returns The key.
 */
export async function createAdminKey(env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/keys.ts", "create", "--name", "e2e", "--role", "admin"]
      .concat(["--collections", "*", "--json"]),
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const created = JSON.parse(text);
  assert.equal(created.role, "admin");
  assert.match(created.key, /^fg_[0-9a-f]{16}_/);
  return created.key;
}

/** Starts functions/main.ts with `env` on a free loopback port. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "functions/main.ts"],
    cwd: ROOT,
    env: { PORT: "0", HOST: "127.0.0.1", ...env },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let all = "";
  let url: string | undefined;
  let requests = 0;
  let exited = false;
  child.status.then(() => exited = true);
  // Read until the start line, then keep draining the request log in the background.
  const drain = (async () => {
    for (;;) {
      const { value, done } = await lines.read();
      if (done) return;
      buffered += value;
      all += value;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const entry = JSON.parse(line);
        if (entry.msg === "facegate listening") url = entry.url;
        if (entry.msg === "request") requests++;
      }
    }
  })();
  const deadline = Date.now() + 60_000;
  while (!url) {
    if (exited) throw new Error("the server exited before listening");
    if (Date.now() > deadline) throw new Error("the server did not start within 60 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    requests: () => requests,
    logText: () => all,
    stop: async () => {
      if (!exited) child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

/**
 * Makes an admin key on the store `env` configures, starts the server with `env`, runs `fn` with
 * both and stops the server.
 */
export async function withServer(
  env: Record<string, string>,
  fn: (server: ServerProcess, apiKey: string) => Promise<void>,
): Promise<void> {
  const apiKey = await createAdminKey(env);
  const server = await startServer(env);
  try {
    await fn(server, apiKey);
  } finally {
    await server.stop();
  }
}

/** What {@linkcode apiScenario} runs against. */
export interface ScenarioTarget {
  /** The running server. */
  server: ServerProcess;
  /** The store kind `/healthz` must report. */
  store: "kv" | "upstash";
  /** An admin API key, sent on every request. */
  apiKey: string;
}

/** Runs the scenario as steps of `t`. */
export async function apiScenario(t: Deno.TestContext, target: ScenarioTarget): Promise<void> {
  const { server, apiKey } = target;
  const contract = await contractOf(server.url);
  // Shadows the global: every request below is checked against the OpenAPI document.
  const fetch = contract.fetch();
  const auth = { authorization: `Bearer ${apiKey}` };
  const people = readManifest();
  const candidates = people.filter((p) => p.photos.length >= 2);
  const strangers = people.filter((p) => p.photos.length === 1).slice(0, STRANGERS);
  const base = `${server.url}/v1/collections/e2e`;
  const enrolled: { name: string; heldOut: string }[] = [];

  const post = (url: string, photo: string): Promise<Response> =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "image/jpeg", ...auth },
      body: Deno.readFileSync(`${DATA}/faces/${photo}`),
    });
  const call = async (url: string, photo: string) => {
    const res = await post(url, photo);
    return { status: res.status, body: await res.json() };
  };

  await t.step("refuses requests without a valid key and keeps /healthz public", async () => {
    const none = await fetch(`${base}/subjects`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
    assert.equal((await none.json()).code, "unauthorized");
    const bad = await fetch(`${base}/subjects`, {
      headers: { authorization: `Bearer ${apiKey.slice(0, -3)}xyz` },
    });
    assert.equal(bad.status, 401);
    await bad.body?.cancel();
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
  });

  await t.step("enrolls at least 20 identities, holding one photo of each out", async () => {
    const refused: string[] = [];
    for (const person of candidates) {
      if (enrolled.length === ENROLLED) break;
      const heldOut = person.photos[person.photos.length - 1];
      let ok = 0;
      for (const photo of person.photos.slice(0, -1).slice(0, PER_SUBJECT)) {
        const { status, body } = await call(`${base}/subjects/${person.name}/faces`, photo);
        if (status === 201) ok++;
        else {
          assert.equal(status, 422, JSON.stringify(body));
          refused.push(`${photo}: ${body.code}`);
        }
      }
      if (ok > 0) enrolled.push({ name: person.name, heldOut });
    }
    console.error(
      `e2e (${target.store}): enrolled ${enrolled.length} identities; refused ${refused.length} photos`,
    );
    assert.ok(enrolled.length >= 20);
    const page = await (await fetch(`${base}/subjects?limit=1000`, { headers: auth })).json();
    assert.equal(page.subjects.length, enrolled.length);
  });

  await t.step("verify accepts true claims and rejects false ones", async () => {
    let trueAccepts = 0, falseAccepts = 0;
    for (const [i, person] of enrolled.entries()) {
      const own = await call(`${base}/subjects/${person.name}/verify`, person.heldOut);
      assert.equal(own.status, 200);
      if (own.body.match) trueAccepts++;
      const other = enrolled[(i + 1) % enrolled.length].name;
      const wrong = await call(`${base}/subjects/${other}/verify`, person.heldOut);
      if (wrong.body.match) falseAccepts++;
    }
    console.error(
      `e2e (${target.store}): verify true accepts ${trueAccepts}/${enrolled.length}, ` +
        `false accepts ${falseAccepts}/${enrolled.length}`,
    );
    assert.ok(trueAccepts >= 0.85 * enrolled.length, `true accepts ${trueAccepts}`);
    assert.ok(falseAccepts <= 1, `false accepts ${falseAccepts}`);
  });

  await t.step("identify names enrolled people and answers null for strangers", async () => {
    let rank1 = 0, matched = 0, wrongMatches = 0;
    for (const person of enrolled) {
      const { status, body } = await call(`${base}/identify?k=3`, person.heldOut);
      assert.equal(status, 200);
      if (body.candidates[0]?.subject === person.name) rank1++;
      if (body.match?.subject === person.name) matched++;
      else if (body.match) wrongMatches++;
    }
    // Every face of a group photo, in one request.
    const group = await call(
      `${base}/identify?face=all&k=2`,
      "../faces-misc/multi_insightface_t1.jpg",
    );
    assert.equal(group.status, 200);
    assert.equal(group.body.faces.length, 6);
    let falseIds = 0;
    for (const stranger of strangers) {
      const { body } = await call(`${base}/identify`, stranger.photos[0]);
      if (body.match !== null) falseIds++;
    }
    console.error(
      `e2e (${target.store}): rank-1 accuracy ${
        (rank1 / enrolled.length).toFixed(3)
      } (${rank1}/${enrolled.length}); ` +
        `matched at the identify threshold ${matched}, wrong matches ${wrongMatches}; ` +
        `false identifications of strangers ${falseIds}/${strangers.length}`,
    );
    assert.ok(rank1 >= 0.85 * enrolled.length, `rank-1 ${rank1}`);
    assert.ok(wrongMatches <= 1, `wrong matches ${wrongMatches}`);
    assert.ok(falseIds <= 1, `false identifications ${falseIds}`);
  });

  await t.step("a deleted subject no longer matches its own photos", async () => {
    const victim = enrolled[0];
    const del = await fetch(`${base}/subjects/${victim.name}`, { method: "DELETE", headers: auth });
    assert.equal(del.status, 204);
    const { body } = await call(`${base}/identify?k=50`, victim.heldOut);
    assert.ok(body.candidates.every((c: { subject: string }) => c.subject !== victim.name));
    assert.notEqual(body.match?.subject, victim.name);
    const verify = await call(`${base}/subjects/${victim.name}/verify`, victim.heldOut);
    assert.equal(verify.status, 404);
    assert.equal(verify.body.code, "subject_not_found");
  });

  await t.step(
    "the server answers problems over HTTP and logs every request, never a key",
    async () => {
      const res = await fetch(`${server.url}/v1/detect`, {
        method: "POST",
        body: "x",
        headers: { "content-type": "text/plain", ...auth },
      });
      assert.equal(res.status, 415);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.ok(res.headers.get("x-request-id"));
      await res.body?.cancel();
      const health = await (await fetch(`${server.url}/healthz`)).json();
      assert.equal(health.store, target.store);
      assert.ok(server.requests() > 0);
      const keyId = apiKey.split("_")[1];
      assert.ok(server.logText().includes(`"key_id":"${keyId}"`));
      assert.ok(!server.logText().includes(apiKey.slice(20)), "the log must not contain the key");
    },
  );

  await t.step("deleting the collection removes every face", async () => {
    const res = await fetch(base, { method: "DELETE", headers: auth });
    assert.equal(res.status, 200);
    assert.ok((await res.json()).deleted_faces > 0);
  });

  await t.step("every response matched the OpenAPI document", () => {
    const seen = [...contract.checked.keys()].sort();
    console.error(
      `e2e (${target.store}): responses checked against /openapi.json: ${seen.join("; ")}`,
    );
    for (
      const expected of [
        "POST /v1/collections/{collection}/subjects/{subject}/faces 201",
        "POST /v1/collections/{collection}/identify 200",
        "POST /v1/collections/{collection}/subjects/{subject}/verify 200",
        "GET /v1/collections/{collection}/subjects 401",
        "POST /v1/detect 415",
      ]
    ) assert.ok(seen.includes(expected), expected);
  });
}
