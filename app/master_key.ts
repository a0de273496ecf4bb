/**
 * The master key of encryption at rest on Deno: read from `FACEGATE_MASTER_KEY_FILE` (default
 * `master.key` beside the KV file), created there on the first start of `deno task dev`
 * (`--create-master-key`) with mode 0600, and refused when missing otherwise. Also the loud
 * warning of `FACEGATE_ENCRYPTION=off`.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import {
  type FaceStore,
  generateMasterKey,
  hasKeyMaintenance,
  parseMasterKeys,
} from "../lib/store/mod.ts";
import type { Logger } from "./composed_deps.ts";

/** Options for {@linkcode resolveMasterKey}. */
export interface ResolveMasterKeyOptions {
  /** Create the key file when it is missing (only `deno task dev`). Default: false. */
  create?: boolean;
  /** Where the one-time "created" notice goes. Default: nowhere. */
  logger?: Logger;
}

/**
 * Fills `config.encryption.masterKeys` from its key file, when it names one.
 *
 * @returns The configuration with the keys in place (unchanged when there is no file to read).
 * @throws {FaceError} `invalid_request` when the file is missing (and `create` is false),
 *   unreadable, holds no valid key, or is open to other users (any group or other permission
 *   bit: `chmod 600` it).
 */
export async function resolveMasterKey(
  config: Config,
  options: ResolveMasterKeyOptions = {},
): Promise<Config> {
  const enc = config.encryption;
  if (enc.mode === "off" || enc.keyFile === undefined || config.store.kind === "memory") {
    return config;
  }
  const path = enc.keyFile;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new FaceError("invalid_request", `Cannot start: cannot read master key file ${path}`, {
        cause: err,
      });
    }
    if (!options.create) {
      throw new FaceError(
        "invalid_request",
        `Cannot start: no master key: set FACEGATE_MASTER_KEY (base64 of 32 random bytes, e.g. ` +
          `\`openssl rand -base64 32\`) or create ${path}; \`deno task dev\` creates it on first ` +
          "start. FACEGATE_ENCRYPTION=off stores faces in plain text (tests only)",
      );
    }
    text = generateMasterKey() + "\n";
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    await Deno.writeTextFile(path, text, { mode: 0o600, createNew: true });
    await Deno.chmod(path, 0o600).catch(() => {});
    options.logger?.info({
      msg: "created a master key for encryption at rest (keep it: without it the faces are " +
        "unreadable; keep copies apart from the data)",
      file: path,
    });
  }
  const { keys, problems } = parseMasterKeys(text.trim());
  if (problems.length > 0 || keys.length === 0) {
    throw new FaceError(
      "invalid_request",
      `Cannot start: master key file ${path}: ${problems.join("; ") || "no key"}`,
    );
  }
  // Like ssh with a private key: a key file others may read is not a secret any more.
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new FaceError(
      "invalid_request",
      `Cannot start: master key file ${path} can be read or written by other users (mode ` +
        `0${(mode & 0o777).toString(8)}): run chmod 600 ${path}`,
    );
  }
  return { ...config, encryption: { mode: "on", masterKeys: keys, keyFile: path } };
}

/** The loud log line of `FACEGATE_ENCRYPTION=off` on a persistent store, else undefined. */
export function encryptionStartupWarning(config: Config): Record<string, unknown> | undefined {
  if (config.encryption.mode !== "off" || config.store.kind === "memory") return undefined;
  return {
    msg: "!!! WARNING: FACEGATE_ENCRYPTION=off: FACE TEMPLATES AND METADATA ARE STORED IN PLAIN " +
      "TEXT; a copy of the store is a copy of everyone's biometric data. Use only for tests. !!!",
  };
}

/**
 * With encryption on, counts the store's plain face records (one scan, in the background of a
 * start) and logs one error line when there are any: sealed-only reads refuse them until
 * `deno task keys encrypt-existing` seals them.
 *
 * @returns The count (0 with encryption off, on memory, or when the scan failed: that is logged).
 */
export async function reportPlainRecords(
  config: Config,
  store: FaceStore,
  logger: Logger,
): Promise<number> {
  if (config.encryption.mode === "off" || !hasKeyMaintenance(store)) return 0;
  try {
    const count = await store.countPlainRecords();
    if (count > 0) {
      logger.error({
        msg: `${count} plain (unencrypted) face record(s) in the store: they are refused and ` +
          "never matched until `deno task keys encrypt-existing` seals them",
        plain_records: count,
      });
    }
    return count;
  } catch (err) {
    logger.error({
      msg: "could not count plain face records",
      error: err instanceof Error ? err.message : String(err),
    });
    return 0;
  }
}
