/**
 * Encryption at rest end to end: the real server (functions/main.ts) enrolls LFW photos over HTTP
 * on Deno KV and on Redis (through the bridge), is stopped, the raw store is scanned for the
 * embeddings `/v1/embed` returns, and the server is restarted: with the same master key the faces
 * still verify, with another one verify answers 500 `store_key_unavailable` naming the key id.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dataDir } from "../_data.ts";
import { MasterKeyring } from "../../lib/store/mod.ts";
import { RespConnection } from "../../tools/upstash_bridge.ts";
import { OTHER_MASTER_KEY, TEST_MASTER_KEY } from "../_master_key.ts";
import { startServer } from "./_api_scenario.ts";
import { findPlain, readExisting } from "./_plain_scan.ts";
import { withRedis } from "./_redis_fixture.ts";

const DATA = dataDir();
/** Three people with at least two photos: one enrolled, one to verify with. */
const PEOPLE = [
  ["Abdullah_al-Attiyah", "Abdullah_al-Attiyah_0001.jpg", "Abdullah_al-Attiyah_0002.jpg"],
  ["Aleksander_Kwasniewski", "Aleksander_Kwasniewski_0001.jpg", "Aleksander_Kwasniewski_0002.jpg"],
  ["Ali_Naimi", "Ali_Naimi_0001.jpg", "Ali_Naimi_0002.jpg"],
];

const photo = (name: string, file: string) => Deno.readFileSync(`${DATA}/faces/${name}/${file}`);
const post = (url: string, body: Uint8Array) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: body as Uint8Array<ArrayBuffer>,
  });

/** Enrolls the first photo of each person; returns the embeddings `/v1/embed` gives for them. */
async function enrollAll(url: string): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const [name, enrolled] of PEOPLE) {
    const res = await post(
      `${url}/v1/collections/atrest/subjects/${name}/faces`,
      photo(name, enrolled),
    );
    assert.equal(res.status, 201, await res.text());
    const embed = await (await post(`${url}/v1/embed`, photo(name, enrolled))).json();
    out.push(Float32Array.from(embed.faces[0].embedding));
  }
  return out;
}

/** Verifies each person's second photo; returns the statuses and bodies. */
async function verifyAll(url: string) {
  const out: { status: number; body: Record<string, unknown> }[] = [];
  for (const [name, , held] of PEOPLE) {
    const res = await post(
      `${url}/v1/collections/atrest/subjects/${name}/verify`,
      photo(name, held),
    );
    out.push({ status: res.status, body: await res.json() });
  }
  return out;
}

async function withServerRun<T>(env: Record<string, string>, fn: (url: string) => Promise<T>) {
  const server = await startServer({ FACEGATE_AUTH: "off", ...env });
  try {
    return await fn(server.url);
  } finally {
    await server.stop();
  }
}

async function restartChecks(env: Record<string, string>) {
  const same = await withServerRun(env, verifyAll);
  for (const v of same) {
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.match, true, JSON.stringify(v.body));
  }
  const otherId = (await MasterKeyring.fromText(TEST_MASTER_KEY)).newest.id;
  const wrong = await withServerRun({ ...env, FACEGATE_MASTER_KEY: OTHER_MASTER_KEY }, verifyAll);
  for (const v of wrong) {
    assert.equal(v.status, 500);
    assert.equal(v.body.code, "store_key_unavailable");
    assert.match(String(v.body.detail), new RegExp(`master key ${otherId} is not configured`));
  }
}

Deno.test("the server's Deno KV file holds no enrolled embedding; after a restart the same key verifies, another gives store_key_unavailable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_srv_" });
  const env = {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: `${dir}/facegate.kv`,
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
  };
  try {
    const embeddings = await withServerRun(env, enrollAll);
    const raw = await readExisting([`${dir}/facegate.kv`, `${dir}/facegate.kv-wal`]);
    assert.ok(raw.length > 0);
    assert.deepEqual(findPlain(raw, embeddings), []);
    await restartChecks(env);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the server's Redis dump holds no enrolled embedding; after a restart the same key verifies, another gives store_key_unavailable", async () => {
  await withRedis(async ({ redis, bridge }) => {
    const env = {
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      FACEGATE_REDIS_PREFIX: "srv:",
      FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
    };
    const embeddings = await withServerRun(env, enrollAll);
    const conn = await RespConnection.connect(redis.port);
    try {
      await conn.call("CONFIG", "SET", "rdbcompression", "no");
      await conn.call("SAVE");
    } finally {
      conn.close();
    }
    const dump = await Deno.readFile(`${redis.dir}/dump.rdb`);
    assert.ok(dump.length > 1000);
    assert.deepEqual(findPlain(dump, embeddings), []);
    await restartChecks(env);
  });
});
