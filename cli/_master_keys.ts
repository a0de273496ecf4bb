/**
 * The encryption-at-rest subcommands of `deno task keys`, on the face store the environment
 * configures (master keys from `FACEGATE_MASTER_KEY` or the key file, as the server reads them):
 *
 * ```sh
 * # 1. put a new key first: FACEGATE_MASTER_KEY="$(openssl rand -base64 32),<old key>"
 * deno task keys rotate-master      # re-wraps every collection's data key with the newest key
 * # 2. restart the servers with the new list, then drop the old key from it
 * deno task keys encrypt-existing   # seals plain faces; binds old sealed ones to their time
 * ```
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { hasKeyMaintenance } from "../lib/store/mod.ts";
import { openBackend } from "../lib/backend/mod.ts";
import { resolveMasterKey, storeEncryption } from "../app/mod.ts";
import { CliError } from "./_cli.ts";

/** The subcommands handled here. */
export const MASTER_KEY_COMMANDS = ["rotate-master", "encrypt-existing"] as const;

/** Usage lines of the subcommands. */
export const MASTER_KEY_USAGE = `  deno task keys rotate-master [--json]
  deno task keys encrypt-existing [--json]`;

/**
 * Runs `rotate-master` or `encrypt-existing`.
 *
 * @returns The exit code 0.
 * @throws {CliError} When the store has no encryption at rest (memory, `FACEGATE_ENCRYPTION=off`).
 * @throws {FaceError} For bad settings, an unreadable data key (`store_key_unavailable`, naming
 *   its key id) or a store failure.
 */
export async function runMasterKeyCommand(
  command: (typeof MASTER_KEY_COMMANDS)[number],
  json: boolean,
): Promise<number> {
  const config = await resolveMasterKey(parseConfig(Deno.env.toObject()));
  if (config.encryption.mode === "off" || config.store.kind === "memory") {
    throw new CliError(`${command}: the ${config.store.kind} store has no encryption at rest`);
  }
  const backend = await openBackend(config.store, { encryption: await storeEncryption(config) });
  const store = backend.faces;
  try {
    if (!hasKeyMaintenance(store)) {
      throw new CliError(`${command}: the ${store.kind} store has no encryption at rest`);
    }
    if (command === "rotate-master") {
      const r = await store.rotateMasterKey();
      console.log(
        json ? JSON.stringify(r) : `${r.rewrapped} of ${r.collections} collection data key(s) ` +
          `re-wrapped; every one is now wrapped by master key ${r.master_key_id}`,
      );
    } else {
      const sealed = await store.sealPlainRecords();
      // Records sealed before creation times were bound get them bound (AAD v2).
      const resealed = await store.resealLegacyRecords();
      console.log(
        json ? JSON.stringify({ sealed, resealed }) : `${sealed} plain face record(s) sealed, ` +
          `${resealed} sealed record(s) re-sealed to bind their creation time`,
      );
    }
    return 0;
  } finally {
    await backend.close();
  }
}
