/**
 * API key administration on the store the environment configures (the dev server's: Deno KV at
 * `FACEGATE_KV_PATH` by default, Upstash when `UPSTASH_REDIS_REST_URL` / `_TOKEN` are set):
 *
 * ```sh
 * deno task keys create --name kiosk-3 --role verify --collections lobby,staff   # prints the key once
 * deno task keys create --name ops --role admin --collections '*' --json
 * deno task keys list [--json]
 * deno task keys revoke <id>
 * ```
 *
 * Keys are hashed with `FACEGATE_KEY_PEPPER` when it is set: use the server's value. Exit code 0
 * on success, 1 on a usage or store failure, 2 when `revoke` names no key.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../lib/config.ts";
import { isFaceError } from "../lib/errors.ts";
import {
  type ApiKeyInfo,
  createApiKey,
  KEY_ID_RE,
  keyInfo,
  openKeyStore,
  type Role,
} from "../lib/auth/mod.ts";

const USAGE = `Usage:
  deno task keys create --name NAME --role admin|enroll|verify --collections a,b|'*' [--json]
  deno task keys list [--json]
  deno task keys revoke ID [--json]`;

function row(k: ApiKeyInfo): string {
  const collections = k.collections === "*" ? "*" : k.collections.join(",");
  const state = k.revoked_at ? `revoked ${k.revoked_at}` : "active";
  return `${k.id}  ${
    k.role.padEnd(6)
  }  ${k.name}  collections=${collections}  created ${k.created_at}  ${state}`;
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      name: { type: "string" },
      role: { type: "string" },
      collections: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.error(USAGE);
    return values.help ? 0 : 1;
  }
  const config = parseConfig(Deno.env.toObject());
  const store = await openKeyStore(config.store);
  const out = (v: unknown, text: string) => console.log(values.json ? JSON.stringify(v) : text);
  try {
    if (command === "create") {
      if (!values.name || !values.role || !values.collections) {
        console.error(`create needs --name, --role and --collections\n${USAGE}`);
        return 1;
      }
      const collections = values.collections.trim() === "*"
        ? "*" as const
        : values.collections.split(",").map((c) => c.trim()).filter(Boolean);
      const { key, info } = await createApiKey(store, {
        name: values.name,
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
      if (id === undefined || !KEY_ID_RE.test(id)) {
        console.error(`revoke needs a key id (16 hex digits)\n${USAGE}`);
        return 1;
      }
      const record = await store.revoke(id, new Date().toISOString());
      if (record === null) {
        console.error(`no key ${id} in the ${store.kind} store`);
        return 2;
      }
      out(keyInfo(record), row(keyInfo(record)));
      return 0;
    }
    console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 1;
  } catch (err) {
    if (!isFaceError(err)) throw err;
    console.error(`error: ${err.message}`);
    return 1;
  } finally {
    await store.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
