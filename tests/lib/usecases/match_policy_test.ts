import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config.ts";
import { MemoryFaceStore, MemoryPolicyStore } from "../../../lib/store/mod.ts";
import { compareImages, decideThreshold, setMatchPolicy } from "../../../lib/usecases/mod.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { useCaseDeps } from "../../../app/mod.ts";
import { PHOTOS, readData, sessions } from "../../functions/_fixtures.ts";

function deps() {
  return useCaseDeps({
    pipeline: { sessions },
    store: new MemoryFaceStore(),
    config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_PURGE_INTERVAL_MINUTES: "0" }),
    manifest: MODEL_MANIFEST,
    policies: new MemoryPolicyStore(),
    logger: { info: () => {}, error: () => {} },
  });
}

Deno.test("decideThreshold() never lets a missing caller loosen a decision; an explicit admin may", async () => {
  const d = deps();
  await setMatchPolicy(d, {
    collection: "gate",
    policy: { verify: { threshold: 0.8 } },
    caller: { admin: true },
  });
  const loose = { collection: "gate", kind: "verify" as const, request: { threshold: 1.2 } };
  await assert.rejects(decideThreshold(d, { ...loose, caller: undefined }), {
    code: "policy_violation",
  });
  await assert.rejects(decideThreshold(d, { ...loose, caller: { admin: false } }), {
    code: "policy_violation",
  });
  assert.deepEqual(await decideThreshold(d, { ...loose, caller: { admin: true } }), {
    threshold: 1.2,
    source: "request",
  });
  // Stricter is anyone's right.
  const strict = { ...loose, request: { threshold: 0.5 } };
  assert.equal((await decideThreshold(d, { ...strict, caller: undefined })).threshold, 0.5);
});

Deno.test("compareImages() called without a caller (library use) cannot loosen the default policy", async () => {
  const d = deps();
  const img = readData(PHOTOS.serena1);
  await assert.rejects(compareImages(d, img, img, { threshold: 2 }), { code: "policy_violation" });
});
