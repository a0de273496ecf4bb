import assert from "node:assert/strict";
import { redactForLog } from "../../functions/_log_safety.ts";
import { FaceError } from "../../lib/errors.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import { assertProblem, makeApp, PHOTOS, postImage } from "./_fixtures.ts";

Deno.test("redactForLog() drops a Redis command echoed in an error and masks API keys", () => {
  assert.equal(
    redactForLog('ERR busy, command was: ["EVALSHA","abc","4","k","AAAAembeddingbase64"]'),
    "ERR busy [command redacted]",
  );
  const key = `fg_0123456789abcdef_${"x".repeat(43)}`;
  assert.equal(
    redactForLog(`Error: bad ${key}\n    at f (a.ts:1:1)`),
    "Error: bad fg_[redacted]\n    at f (a.ts:1:1)",
  );
  assert.equal(redactForLog("plain"), "plain");
});

Deno.test("a store failure echoing its Redis command logs neither the command nor the embedding", async () => {
  const store = new MemoryFaceStore();
  store.addFace = () =>
    Promise.reject(
      new FaceError("store_unavailable", "Cannot add a face: the upstash store failed", {
        cause: new Error(
          'ERR OOM, command was: ["EVALSHA","sha","4","k1","k2","k3","k4","EMBEDDING=="]',
        ),
      }),
    );
  const { app, logs } = makeApp({ store });
  const res = await app.request("/v1/collections/c/subjects/s/faces", postImage(PHOTOS.arnold1));
  const body = await assertProblem(res, 503, "store_unavailable");
  assert.ok(!JSON.stringify(body).includes("EMBEDDING"));
  const error = logs.find((l) => l.msg === "request failed")!;
  assert.equal(error.cause, "ERR OOM [command redacted]");
  assert.ok(!JSON.stringify(logs).includes("EMBEDDING"));
});
