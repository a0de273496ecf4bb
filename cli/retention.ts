/**
 * Retention maintenance on the store the environment configures (the dev server's: Deno KV at
 * `FACEGATE_KV_PATH` by default, Upstash when `UPSTASH_REDIS_REST_URL` / `_TOKEN` are set; master
 * keys as the server reads them):
 *
 * ```sh
 * deno task retention purge                      # every collection of the model in force
 * deno task retention purge --collection lobby,staff   # only these collections
 * deno task retention purge --json
 * ```
 *
 * `purge` deletes the faces older than each collection's retention period and every face of an
 * expired subject (see `purgeExpired`), one audit event per collection that lost faces. Run it
 * from cron (the Workers entry runs it from its own cron trigger). Exit codes: 0 success, 2 usage
 * or error (including a collection whose purge failed; the others still ran).
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { isFaceError } from "../lib/errors.ts";
import { purgeAllExpired } from "../lib/usecases/mod.ts";
import { closeDeps, composeOnDeno, useCaseDeps } from "../app/mod.ts";
import { CliError, EXIT, parseCli, runCli } from "./_cli.ts";

/** The usage text printed by `--help`. */
export const USAGE = `Usage: deno task retention purge [--collection NAME[,NAME...]] [--json]

Deletes the faces older than each collection's retention period (PUT /v1/collections/{c}/policy
{"retention": {"days": N}}) and every face of an expired subject, on the store the environment
configures (Deno KV by default, Upstash with UPSTASH_*). Without --collection: every collection
of the model in force.

Exit codes: 0 success, 2 usage or error (a collection that failed is named; the others ran).`;

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(args, {
    collection: { type: "string" },
    json: { type: "boolean" },
  });
  if (parsed === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const [command, ...rest] = parsed.positionals;
  if (command !== "purge") {
    throw new CliError(
      command === undefined
        ? "give a command: purge (see --help)"
        : `unknown command ${JSON.stringify(command)} (see --help)`,
    );
  }
  if (rest.length > 0) {
    throw new CliError(`unexpected argument ${JSON.stringify(rest[0])} (see --help)`);
  }
  const values = parsed.values as { collection?: string; json?: boolean };
  const collections = values.collection?.split(",").map((c) => c.trim()).filter(Boolean);
  if (collections?.length === 0) throw new CliError("--collection needs a name (see --help)");
  const config = parseConfig({ ...Deno.env.toObject(), FACEGATE_PURGE_INTERVAL_MINUTES: "0" });
  let deps;
  try {
    deps = await composeOnDeno(config);
  } catch (err) {
    if (!isFaceError(err)) throw err;
    throw new CliError(err.message);
  }
  try {
    const started = performance.now();
    // Audit lines go to stderr: stdout is the report.
    const logger = {
      info: (f: Record<string, unknown>) => console.error(JSON.stringify({ level: "info", ...f })),
      error: (f: Record<string, unknown>) =>
        console.error(JSON.stringify({ level: "error", ...f })),
    };
    const report = await purgeAllExpired(useCaseDeps({ ...deps, logger }), { collections });
    const ms = Math.round(performance.now() - started);
    if (values.json) console.log(JSON.stringify({ ...report, ms }));
    else {
      for (const r of report.collections) {
        console.log(
          `${r.collection}: ${r.purged_faces} face(s), ${r.purged_subjects} subject(s) purged`,
        );
      }
      for (const f of report.failed) console.error(`${f.collection}: failed: ${f.error}`);
      const faces = report.collections.reduce((n, r) => n + r.purged_faces, 0);
      console.log(
        `${faces} face(s) purged in ${report.collections.length} collection(s) of the ` +
          `${deps.store.kind} store in ${ms} ms`,
      );
    }
    return report.failed.length > 0 ? EXIT.error : EXIT.ok;
  } catch (err) {
    if (!isFaceError(err)) throw err;
    throw new CliError(err.message);
  } finally {
    await closeDeps(deps);
  }
}

if (import.meta.main) await runCli(() => main(Deno.args));
