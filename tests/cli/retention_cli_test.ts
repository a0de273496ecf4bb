import assert from "node:assert/strict";
import { openBackend } from "../../lib/backend/mod.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../../models/manifest.ts";
import { unitVector } from "../lib/store/_contract.ts";
import { TEST_MASTER_KEY, testKeyring } from "../_master_key.ts";

const ROOT = new URL("../../", import.meta.url);
const MODEL = defaultRecipe().id;

/** Runs `cli/retention.ts args` in a fresh Deno process. */
async function retention(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/retention.ts", ...args],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task retention purge deletes the expired faces of every collection of the KV store", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_retention_cli_" });
  const path = `${dir}/facegate.kv`;
  const env = {
    FACEGATE_STORE: "kv",
    FACEGATE_KV_PATH: path,
    FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
  };
  try {
    // Faces written two years ago (an injected clock); "kept" has no retention, "short" 30 days.
    const past = () => new Date(Date.now() - 730 * 86_400_000);
    let backend = await openBackend({ kind: "kv", path }, {
      now: past,
      encryption: await testKeyring(),
    });
    const add = (collection: string, subject: string, expiresAt?: string) =>
      backend.faces.addFace({ model: MODEL, collection }, subject, {
        embedding: unitVector(512),
        quality: 0.9,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    await add("kept", "ann");
    await add("kept", "bob", new Date(Date.now() - 1000).toISOString()); // expired a second ago
    await add("short", "cy");
    await add("short", "cy");
    await backend.faces.addFace({ model: "other-model@1", collection: "short" }, "dee", {
      embedding: unitVector(512),
      quality: 0.9,
    });
    await backend.policies.set({ model: MODEL, collection: "short" }, {
      updated_at: new Date().toISOString(),
      retention: { days: 30 },
    });
    await backend.close();

    const usage = await retention(["purge", "extra"], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^error: unexpected argument "extra"/);
    const help = await retention(["--help"], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /deno task retention purge/);

    const one = await retention(["purge", "--collection", "kept", "--json"], env);
    assert.equal(one.code, 0, one.stderr);
    const oneReport = JSON.parse(one.stdout);
    assert.deepEqual(oneReport.collections, [
      { collection: "kept", purged_faces: 1, purged_subjects: 1 },
    ]);
    const all = await retention(["purge"], env);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^kept: 0 face\(s\), 0 subject\(s\) purged$/m);
    assert.match(all.stdout, /^short: 2 face\(s\), 1 subject\(s\) purged$/m);
    assert.match(all.stdout, /2 face\(s\) purged in 2 collection\(s\) of the kv store in \d+ ms/);

    backend = await openBackend({ kind: "kv", path }, { encryption: await testKeyring() });
    const names = async (model: string, collection: string) =>
      (await backend.faces.listSubjects({ model, collection })).subjects.map((s) => s.subject);
    assert.deepEqual(await names(MODEL, "kept"), ["ann"]);
    assert.deepEqual(await names(MODEL, "short"), []);
    assert.deepEqual(await names("other-model@1", "short"), ["dee"], "other models are left alone");
    // The audit trail is kept under the manifest's embedder id, whatever the recipe.
    const trail = { model: MODEL_MANIFEST.embedder.id, collection: "short" };
    const audit = await backend.audit.list(trail, { limit: 10 });
    assert.deepEqual(
      audit.events.map((e) => [e.action, e.purged_faces, e.purged_subjects, e.retention_days]),
      [["purge_expired", 2, 1, 30]],
    );
    await backend.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
