import assert from "node:assert/strict";
import { parseConfig } from "../../../lib/config.ts";
import { estimateFpir, openSetThreshold } from "../../../lib/match/mod.ts";
import { MemoryFaceStore, MemoryPolicyStore } from "../../../lib/store/mod.ts";
import { decideThreshold, getMatchPolicy, setMatchPolicy } from "../../../lib/usecases/mod.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { useCaseDeps } from "../../../app/mod.ts";
import { sessions } from "../../functions/_fixtures.ts";

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

const identify = { collection: "gate", kind: "identify" as const, request: {} };

Deno.test("decideThreshold() derives identify's threshold from the default FPIR target and the face count", async () => {
  const d = deps();
  const curve = d.thresholds.impostorFar!;
  const cap = d.thresholds.identify;
  const at = async (faces: number) =>
    await decideThreshold(d, { ...identify, caller: undefined, faces });
  // A small gallery keeps the recipe's fixed identify default (never looser).
  const small = await at(10);
  assert.equal(small.threshold, cap);
  assert.equal(small.fpir?.target, 0.01);
  assert.ok(small.fpir!.estimated < 0.01);
  for (const faces of [1_000, 100_000, 1_000_000]) {
    const got = await at(faces);
    const want = Math.floor(openSetThreshold(curve, { faces, fpir: 0.01, cap }).threshold * 1e4) /
      1e4;
    assert.equal(got.threshold, want);
    assert.deepEqual(got.fpir, {
      target: 0.01,
      estimated: estimateFpir(curve, { faces, threshold: want }).fpir,
      faces,
    });
    assert.ok(got.fpir!.estimated <= 0.01);
  }
  assert.ok((await at(1_000_000)).threshold < (await at(1_000)).threshold);
  // Without a face count (verify-style callers): the fixed default.
  assert.deepEqual(await decideThreshold(d, { ...identify, caller: undefined }), {
    threshold: cap,
    source: "policy",
  });
});

Deno.test("an {identify: {fpir}} policy sets the target; non-admins may only ask for stricter than the derived threshold", async () => {
  const d = deps();
  await setMatchPolicy(d, {
    collection: "gate",
    policy: { identify: { fpir: 0.001 } },
    caller: { admin: true },
  });
  const view = await getMatchPolicy(d, { collection: "gate" });
  assert.deepEqual(view.identify, {
    threshold: d.thresholds.identify,
    fpir: 0.001,
    source: "policy",
  });
  const derived = await decideThreshold(d, { ...identify, caller: undefined, faces: 1_000 });
  const byDefault = await decideThreshold(deps(), { ...identify, caller: undefined, faces: 1_000 });
  assert.ok(derived.threshold < byDefault.threshold, "a 10× smaller target is stricter");
  assert.equal(derived.fpir?.target, 0.001);
  // The fixed default is looser than the derived threshold at 1,000 faces: refused to a non-admin.
  const loose = { ...identify, request: { threshold: d.thresholds.identify }, faces: 1_000 };
  await assert.rejects(decideThreshold(d, { ...loose, caller: { admin: false } }), {
    code: "policy_violation",
  });
  const admin = await decideThreshold(d, { ...loose, caller: { admin: true } });
  assert.equal(admin.source, "request");
  assert.ok(
    admin.fpir!.estimated > 0.001,
    "the answer says the looser threshold misses the target",
  );
  const strict = await decideThreshold(d, {
    ...identify,
    request: { threshold: derived.threshold - 0.05 },
    caller: undefined,
    faces: 1_000,
  });
  assert.equal(strict.source, "request");
  assert.ok(strict.fpir!.estimated < 0.001);
});

Deno.test("setMatchPolicy() refuses an fpir outside (0, 0.5] and an fpir for verify", async () => {
  const d = deps();
  for (
    const policy of [{ identify: { fpir: 0 } }, { identify: { fpir: 0.6 } }, {
      identify: { fpir: "0.01" },
    }, { verify: { fpir: 0.01 } }]
  ) {
    await assert.rejects(
      setMatchPolicy(d, { collection: "gate", policy, caller: { admin: true } }),
      { code: "invalid_request" },
      JSON.stringify(policy),
    );
  }
});
