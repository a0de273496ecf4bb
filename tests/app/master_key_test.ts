import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import { isFaceError } from "../../lib/errors.ts";
import { MasterKeyring } from "../../lib/store/mod.ts";
import { encryptionStartupWarning, resolveMasterKey } from "../../app/mod.ts";
import { storeEncryption } from "../../app/mod.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";

function logger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, info: (f: Record<string, unknown>) => lines.push(f), error: () => {} };
}

Deno.test("resolveMasterKey() creates the dev key file once with mode 0600, then reads it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_mk_" });
  try {
    const config = parseConfig({ FACEGATE_KV_PATH: `${dir}/data/facegate.kv` });
    assert.deepEqual(config.encryption, {
      mode: "on",
      masterKeys: [],
      keyFile: `${dir}/data/master.key`,
    });
    const log = logger();
    const first = await resolveMasterKey(config, { create: true, logger: log });
    assert.equal(log.lines.length, 1);
    assert.match(String(log.lines[0].msg), /created a master key/);
    assert.ok(
      !JSON.stringify(log.lines).includes(
        (await Deno.readTextFile(`${dir}/data/master.key`)).trim(),
      ),
    );
    const info = await Deno.stat(`${dir}/data/master.key`);
    assert.equal(info.mode! & 0o777, 0o600);
    const second = await resolveMasterKey(config, { create: true, logger: log });
    assert.equal(log.lines.length, 1, "the notice is logged once");
    assert.ok(first.encryption.mode === "on" && second.encryption.mode === "on");
    assert.deepEqual(first.encryption.masterKeys, second.encryption.masterKeys);
    assert.equal(first.encryption.masterKeys.length, 1);
    assert.equal(first.encryption.masterKeys[0].length, 32);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveMasterKey() refuses to start without a key unless told to create one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_mk_" });
  try {
    const config = parseConfig({ FACEGATE_KV_PATH: `${dir}/facegate.kv` });
    await assert.rejects(resolveMasterKey(config), (err: unknown) => {
      assert.ok(isFaceError(err, "invalid_request"));
      assert.match(err.message, /no master key: set FACEGATE_MASTER_KEY/);
      assert.match(err.message, /FACEGATE_ENCRYPTION=off/);
      return true;
    });
    await assert.rejects(Deno.stat(`${dir}/master.key`), Deno.errors.NotFound);
    await Deno.writeTextFile(`${dir}/master.key`, "not a key\n");
    await assert.rejects(resolveMasterKey(config), /master key file .* not base64 of 32 bytes/);
    // Without a key file, building the store refuses too.
    await assert.rejects(storeEncryption(config), /no master key for encryption at rest/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FACEGATE_MASTER_KEY needs no file and FACEGATE_ENCRYPTION=off logs a loud warning", async () => {
  const config = parseConfig({ FACEGATE_MASTER_KEY: TEST_MASTER_KEY });
  assert.equal(await resolveMasterKey(config), config);
  const ring = await storeEncryption(config);
  assert.ok(ring instanceof MasterKeyring);
  assert.equal(encryptionStartupWarning(config), undefined);
  const off = parseConfig({ FACEGATE_ENCRYPTION: "off" });
  assert.equal(await storeEncryption(off), "off");
  assert.match(String(encryptionStartupWarning(off)?.msg), /WARNING: FACEGATE_ENCRYPTION=off/);
  const memory = parseConfig({ FACEGATE_ENCRYPTION: "off", FACEGATE_STORE: "memory" });
  assert.equal(encryptionStartupWarning(memory), undefined);
});

Deno.test("resolveMasterKey() refuses a key file other users may read, naming the fix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "facegate_mk_" });
  try {
    const config = parseConfig({ FACEGATE_KV_PATH: `${dir}/facegate.kv` });
    const path = `${dir}/master.key`;
    await Deno.writeTextFile(path, TEST_MASTER_KEY + "\n");
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      await Deno.chmod(path, mode);
      await assert.rejects(resolveMasterKey(config), (err: unknown) => {
        assert.ok(isFaceError(err, "invalid_request"));
        assert.match(err.message, /can be read or written by other users .*chmod 600/);
        assert.ok(!err.message.includes(TEST_MASTER_KEY), "the key never appears");
        return true;
      });
    }
    for (const mode of [0o600, 0o400]) {
      await Deno.chmod(path, mode);
      const resolved = await resolveMasterKey(config);
      assert.equal(resolved.encryption.mode, "on");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
