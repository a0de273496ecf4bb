/**
 * API key administration on the store the environment configures (the dev server's: Deno KV at
 * `FACEGATE_KV_PATH` by default, Upstash when `UPSTASH_REDIS_REST_URL` / `_TOKEN` are set):
 *
 * ```sh
 * deno task keys create --name kiosk-3 --role verify --collections lobby,staff   # prints the key once
 * deno task keys create --name ops --role admin --collections '*' --json
 * deno task keys list [--json]
 * deno task keys revoke <id>
 * deno task keys rotate-master        # encryption at rest: see cli/_master_keys.ts
 * deno task keys encrypt-existing
 * ```
 *
 * Keys are hashed with `FACEGATE_KEY_PEPPER` when it is set: use the server's value. Exit codes:
 * 0 success, 1 `revoke` names no key, 2 usage or error (one line on stderr).
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { openBackend } from "../lib/backend/mod.ts";
import { isFaceError } from "../lib/errors.ts";
import { type ApiKeyInfo, createApiKey, KEY_ID_RE, keyInfo, type Role } from "../lib/auth/mod.ts";
import { CliError, EXIT, parseCli, runCli } from "./_cli.ts";
import { MASTER_KEY_COMMANDS, MASTER_KEY_USAGE, runMasterKeyCommand } from "./_master_keys.ts";

/** The usage text printed by `--help`. */
export const USAGE =
  `Usage: deno task keys create --name NAME --role admin|enroll|verify --collections a,b|'*' [--json]
       deno task keys list [--json]
       deno task keys revoke ID [--json]
${MASTER_KEY_USAGE}

API keys on the store the environment configures (Deno KV by default, Upstash with UPSTASH_*).
create prints the key once; list shows ids, roles and collections; revoke disables a key.
rotate-master re-wraps every collection's data key with the newest FACEGATE_MASTER_KEY;
encrypt-existing seals faces stored in plain text by earlier versions.

Exit codes: 0 success, 1 revoke names no key, 2 usage or error.`;

function row(k: ApiKeyInfo): string {
  const collections = k.collections === "*" ? "*" : k.collections.join(",");
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : "active";
  return `${k.id}  ${
    k.role.padEnd(6)
  }  ${k.name}  collections=${collections}  created ${k.created_at}  ${state}`;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(args, {
    name: { type: "string" },
    role: { type: "string" },
    collections: { type: "string" },
    json: { type: "boolean" },
  });
  if (parsed === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const values = parsed.values as {
    name?: string;
    role?: string;
    collections?: string;
    json?: boolean;
  };
  const [command, ...rest] = parsed.positionals;
  if (command === undefined) {
    throw new CliError(
      "give a command: create, list or revoke (or rotate-master, encrypt-existing; see --help)",
    );
  }
  const masterKeyCommand = MASTER_KEY_COMMANDS.find((c) => c === command);
  if (masterKeyCommand !== undefined) {
    try {
      return await runMasterKeyCommand(masterKeyCommand, values.json ?? false);
    } catch (err) {
      if (!isFaceError(err)) throw err;
      throw new CliError(err.message);
    }
  }
  if (!["create", "list", "revoke"].includes(command)) {
    throw new CliError(`unknown command ${JSON.stringify(command)} (see --help)`);
  }
  if (command === "create" && (!values.name || !values.role || !values.collections)) {
    throw new CliError("create needs --name, --role and --collections (see --help)");
  }
  if (command === "revoke" && (rest[0] === undefined || !KEY_ID_RE.test(rest[0]))) {
    throw new CliError("revoke needs a key id (16 hex digits, see `deno task keys list`)");
  }
  const config = parseConfig(Deno.env.toObject());
  const backend = await openBackend(config.store);
  const store = backend.keys;
  const out = (v: unknown, text: string) => console.log(values.json ? JSON.stringify(v) : text);
  try {
    if (command === "create") {
      const collections = values.collections!.trim() === "*"
        ? "*" as const
        : values.collections!.split(",").map((c) => c.trim()).filter(Boolean);
      const { key, info } = await createApiKey(store, {
        name: values.name!,
        role: values.role as Role,
        collections,
      }, { pepper: config.keyPepper });
      out(
        { key, ...info },
        `${row(info)}\n\nAPI key (shown once, store it now):\n${key}\n\n` +
          `Use it as: Authorization: Bearer ${key.slice(0, 22)}…`,
      );
      if (store.kind === "memory") {
        console.error("warning: FACEGATE_STORE=memory: this key is gone when this command ends");
      }
      return 0;
    }
    if (command === "list") {
      const keys = (await store.list()).map(keyInfo);
      out(keys, keys.length ? keys.map(row).join("\n") : `no keys in the ${store.kind} store`);
      return 0;
    }
    if (command === "revoke") {
      const id = rest[0];
      const record = await store.revoke(id, new Date().toISOString());
      if (record === null) {
        console.error(`no key ${id} in the ${store.kind} store`);
        return EXIT.noMatch;
      }
      out(keyInfo(record), row(keyInfo(record)));
      return 0;
    }
    throw new CliError(`unknown command ${JSON.stringify(command)} (see --help)`);
  } catch (err) {
    if (!isFaceError(err)) throw err;
    throw new CliError(err.message);
  } finally {
    await backend.close();
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
