/**
 * Load on one Deno KV file: the app's one backend handle (faces, API keys, idempotency records)
 * under 100 parallel enrolls, key lookups and webhook deliveries, while a second handle on the
 * same file (as the keys CLI in another process) writes keys. No request may answer
 * `store_unavailable`: lock contention is retried by `commitKv`.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import { openBackend } from "../../lib/backend/mod.ts";
import { createApiKey } from "../../lib/auth/mod.ts";
import { signWebhook } from "../../lib/webhook/mod.ts";
import { fileModelLoader } from "../../lib/onnx/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import { closeDeps, composeDeps } from "../../app/mod.ts";
import { PHOTOS, readData, sessions } from "./_fixtures.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ENROLLS = 100;
const LOOKUPS = 100;
const DELIVERIES = 20;
const CLI_KEYS = 20;

Deno.test({
  name: "one KV file takes 100 parallel enrolls, key lookups and webhook deliveries without " +
    "store_unavailable",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "facegate_load_" });
    const path = `${dir}/load.kv`;
    const photo = readData(PHOTOS.arnold1);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response(photo, { headers: { "content-type": "image/jpeg" } }),
    );
    const origin = `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`;
    const config = parseConfig({
      FACEGATE_STORE: "kv",
      FACEGATE_KV_PATH: path,
      FACEGATE_AUTH: "keys",
      FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
      FACEGATE_RATE_LIMIT: "0",
      FACEGATE_WEBHOOK_SECRET: SECRET,
      FACEGATE_WEBHOOK_ALLOWED_HOSTS: "127.0.0.1",
      FACEGATE_WEBHOOK_TEST_ALLOW_LOOPBACK: "1",
      // The inference of 120 images occupies the event loop: the image fetches of the webhook
      // must not time out meanwhile (this test is about the store, not about deadlines).
      FACEGATE_WEBHOOK_FETCH_TIMEOUT_MS: "120000",
      // Every request is admitted: the pipeline gate queues them instead of answering 503.
      FACEGATE_MAX_CONCURRENT: "16",
      FACEGATE_MAX_QUEUED: "1000",
    });
    const deps = await composeDeps(config, { modelLoader: fileModelLoader() });
    const cli = await openBackend(config.store);
    const errors: Record<string, unknown>[] = [];
    try {
      const app = createApp({
        ...deps,
        pipeline: { sessions, manifest: MODEL_MANIFEST },
        logger: { info: () => {}, error: (f) => errors.push(f) },
      });
      const { key } = await createApiKey(deps.keys!, {
        name: "load",
        role: "admin",
        collections: "*",
      });
      const auth = { authorization: `Bearer ${key}` };
      const deliver = async (i: number) => {
        const id = `msg_load_${i}`;
        const timestamp = Math.floor(Date.now() / 1000);
        const body = JSON.stringify({
          type: "upload.completed",
          data: {
            url: `${origin}/p${i}.jpg`,
            collection: "load",
            action: "enroll",
            subject: `w${i}`,
          },
        });
        return await app.request("/v1/webhooks/upload", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "webhook-id": id,
            "webhook-timestamp": String(timestamp),
            "webhook-signature": await signWebhook(SECRET, id, timestamp, body),
          },
          body,
        });
      };
      const requests: (Response | Promise<Response>)[] = [];
      for (let i = 0; i < ENROLLS; i++) {
        requests.push(app.request(`/v1/collections/load/subjects/s${i}/faces`, {
          method: "POST",
          headers: { ...auth, "content-type": "image/jpeg" },
          body: photo,
        }));
      }
      for (let i = 0; i < LOOKUPS; i++) {
        requests.push(app.request("/v1/collections/load/subjects?limit=1", { headers: auth }));
      }
      for (let i = 0; i < DELIVERIES; i++) requests.push(deliver(i));
      const cliWrites = Array.from(
        { length: CLI_KEYS },
        (_, i) => createApiKey(cli.keys, { name: `cli-${i}`, role: "verify", collections: "*" }),
      );
      const responses = await Promise.all(requests);
      await Promise.all(cliWrites);

      const statuses = new Map<string, number>();
      for (const [i, res] of responses.entries()) {
        const text = await res.text();
        assert.ok(!text.includes("store_unavailable"), `request ${i}: ${res.status} ${text}`);
        const kind = i < ENROLLS ? "enroll" : i < ENROLLS + LOOKUPS ? "lookup" : "webhook";
        const k = `${kind} ${res.status}`;
        statuses.set(k, (statuses.get(k) ?? 0) + 1);
      }
      assert.deepEqual(
        Object.fromEntries(statuses),
        { "enroll 201": ENROLLS, "lookup 200": LOOKUPS, "webhook 200": DELIVERIES },
        JSON.stringify(errors.slice(0, 3)),
      );
      const ref = { model: defaultRecipe().id, collection: "load" };
      const gallery = await deps.store.gallery(ref);
      assert.equal(gallery.faceIds.length, ENROLLS + DELIVERIES);
      assert.equal((await deps.keys!.list()).length, 1 + CLI_KEYS);
    } finally {
      await cli.close();
      await closeDeps(deps);
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
