/**
 * `deno task serve` (functions/main_parallel.ts → `deno serve --parallel` on functions/serve.ts):
 * two isolates behind one port share one Deno KV file, so a face enrolled through one is verified
 * and identified through the other; a store only one isolate could see (memory) is refused with a
 * clear log line and a 500 problem, never served.
 *
 * @module
 */
import assert from "node:assert/strict";
import { freePort } from "../../tools/redis_harness.ts";
import { generateMasterKey } from "../../lib/store/mod.ts";
import { PHOTOS, readData } from "../functions/_fixtures.ts";

const ROOT = new URL("../../", import.meta.url);

/** Starts `deno task serve`'s entry with `env`; resolves when the port answers. */
async function startParallel(env: Record<string, string>) {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "functions/main_parallel.ts"],
    cwd: ROOT,
    env: { HOST: "127.0.0.1", PORT: String(port), DENO_JOBS: "2", FACEGATE_AUTH: "off", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const drain = (s: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const t of s.pipeThrough(new TextDecoderStream())) log += t;
    })();
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await drained;
  };
  for (let i = 0;; i++) {
    const up = await fetch(`${base}/healthz`).then(async (r) => {
      await r.body?.cancel();
      return true; // any answer: the port is served (a refused start answers 500)
    }, () => false);
    if (up) break;
    if (i > 600) {
      await stop();
      throw new Error(`deno task serve did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, log: () => log, stop };
}

/** One request on a connection of its own (so the kernel may hand it to either isolate). */
async function fresh(url: string, init: RequestInit = {}): Promise<Response> {
  const client = Deno.createHttpClient({});
  try {
    const res = await fetch(url, { ...init, client });
    return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
  } finally {
    client.close();
  }
}

Deno.test({
  name: "deno task serve: two isolates share one KV store (enrolled through one, matched by both)",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "facegate_serve_" });
    const server = await startParallel({
      FACEGATE_KV_PATH: `${dir}/facegate.kv`,
      FACEGATE_MASTER_KEY: generateMasterKey(),
    });
    try {
      assert.match(server.log(), /with 2 threads/, server.log());
      const image = (photo: string): RequestInit => ({
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: readData(photo),
      });
      const enrolled = await fresh(
        `${server.base}/v1/collections/par/subjects/serena/faces`,
        image(PHOTOS.serena1),
      );
      assert.equal(enrolled.status, 201, await enrolled.clone().text());
      // Many connections: both isolates start (each logs once) and every answer sees the face.
      for (let i = 0; i < 16; i++) {
        const verify = await fresh(
          `${server.base}/v1/collections/par/subjects/serena/verify`,
          image(PHOTOS.serena2),
        );
        assert.equal(verify.status, 200, await verify.clone().text());
        assert.equal((await verify.json()).match, true);
        const who = await fresh(
          `${server.base}/v1/collections/par/identify`,
          image(PHOTOS.serena2),
        );
        assert.equal((await who.json()).match?.subject, "serena");
        if ((server.log().match(/facegate isolate started/g) ?? []).length >= 2 && i >= 3) break;
      }
      assert.equal(
        (server.log().match(/facegate isolate started/g) ?? []).length,
        2,
        `both isolates served:\n${server.log()}`,
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task serve refuses the memory store with a clear reason and a 500 problem",
  sanitizeResources: false,
  async fn() {
    const server = await startParallel({ FACEGATE_STORE: "memory" });
    try {
      const res = await fresh(`${server.base}/v1/collections/x/subjects`);
      assert.equal(res.status, 500);
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.match(server.log(), /FACEGATE_STORE=memory: each isolate would have its own faces/);
    } finally {
      await server.stop();
    }
  },
});
