import assert from "node:assert/strict";
import {
  fileModelLoader,
  type ModelLoader,
  SessionCache,
} from "../../../lib/onnx/session_cache.ts";
import { isFaceError } from "../../../lib/errors.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";

const ENTRY = MODEL_MANIFEST.detector; // the smallest model

/** A loader that answers with `answers[call]` (an Error is thrown), counting its calls. */
function scriptedLoader(...answers: (Uint8Array | Error | "file")[]) {
  const real = fileModelLoader();
  const counter = { calls: 0 };
  const loader: ModelLoader = (entry) => {
    const answer = answers[Math.min(counter.calls++, answers.length - 1)];
    if (answer === "file") return real(entry);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { loader, counter };
}

function isModelUnavailable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isFaceError(err, "model_unavailable"), `expected model_unavailable, got ${err}`);
    assert.match(err.message, pattern);
    assert.ok(err.message.includes(ENTRY.id), err.message);
    assert.ok(err.cause !== undefined, "the cause is chained");
    return true;
  };
}

Deno.test("SessionCache.get() reports model_unavailable when the loader throws", async () => {
  const { loader } = scriptedLoader(new Error("ENOENT: no such file"));
  const cache = new SessionCache(loader);
  await assert.rejects(cache.get(ENTRY), isModelUnavailable(/file unavailable/));
});

Deno.test("SessionCache.get() reports model_unavailable for bytes that are not ONNX", async () => {
  const garbage = new TextEncoder().encode("this is not an onnx model, just some text".repeat(20));
  const { loader } = scriptedLoader(garbage);
  const cache = new SessionCache(loader);
  await assert.rejects(cache.get(ENTRY), isModelUnavailable(/invalid ONNX/));
  await assert.rejects(
    new SessionCache(scriptedLoader(new Uint8Array(0)).loader).get(ENTRY),
    isModelUnavailable(/invalid ONNX/),
  );
});

Deno.test("SessionCache.get() does not cache a failure: the next call loads again", async () => {
  const { loader, counter } = scriptedLoader(new Error("transient"), "file");
  const cache = new SessionCache(loader);
  await assert.rejects(cache.get(ENTRY), (err) => isFaceError(err, "model_unavailable"));
  assert.equal(counter.calls, 1);
  const session = await cache.get(ENTRY);
  assert.equal(counter.calls, 2);
  assert.ok(session.inputNames.includes("input"));
});

Deno.test("SessionCache.get() loads each model once and shares the session", async () => {
  const { loader, counter } = scriptedLoader("file");
  const cache = new SessionCache(loader);
  const [a, b] = await Promise.all([cache.get(ENTRY), cache.get(ENTRY)]);
  const c = await cache.get(ENTRY);
  assert.equal(counter.calls, 1);
  assert.equal(a, b);
  assert.equal(a, c);
  assert.deepEqual([...a.outputNames].sort(), ["boxes", "scores"]);
});
