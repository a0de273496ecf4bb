import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import { createApp } from "../../functions/app.ts";
import { closeDeps, composeDeps } from "../../app/mod.ts";
import { sessions } from "../functions/_fixtures.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

const noModels = () => Promise.reject(new Error("no models in this test"));

Deno.test("composeDeps() opens the face, key and idempotency stores beside each other", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_deps_" });
  try {
    const config = parseConfig({
      FACEGATE_STORE: "kv",
      FACEGATE_KV_PATH: `${dir}/nested/facegate.kv`,
      FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
      FACEGATE_AUTH: "keys",
    });
    const deps = await composeDeps(config, { modelLoader: noModels });
    assert.equal(deps.store.kind, "kv");
    assert.equal(deps.keys?.kind, "kv");
    assert.equal(deps.idempotency?.kind, "kv");
    assert.equal(deps.limiter, undefined);
    assert.equal(deps.config, config);
    await closeDeps(deps);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("composeDeps() on the memory store keeps everything in memory, without keys", async () => {
  const config = parseConfig({ FACEGATE_STORE: "memory", FACEGATE_AUTH: "off" });
  const deps = await composeDeps(config, { modelLoader: noModels });
  assert.equal(deps.store.kind, "memory");
  assert.equal(deps.keys, undefined);
  assert.equal(deps.idempotency?.kind, "memory");
  await closeDeps(deps);
});

Deno.test("createApp() refuses webhooks on a shared store without an idempotency store", () => {
  assert.throws(
    () =>
      createApp({
        pipeline: { sessions },
        store: new MemoryFaceStore(),
        config: parseConfig({
          FACEGATE_STORE: "kv",
          FACEGATE_AUTH: "off",
          FACEGATE_WEBHOOK_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }),
        logger: { info: () => {}, error: () => {} },
      }),
    TypeError,
  );
});
