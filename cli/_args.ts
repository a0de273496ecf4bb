/**
 * The arguments of the CLIs that work on one collection (`enroll`, `verify`, `identify`):
 * `--collection` (required), `--url`, `--face`, each CLI's own string flags and positionals.
 *
 * @module
 */
import { CliError, parseCli } from "./_cli.ts";

/** The parsed flags: the common ones and the CLI's own (absent when not given). */
export type CollectionFlags<F extends string> =
  & { collection: string; url?: string; face?: string }
  & { [K in F]?: string };

/** What {@linkcode parseCollectionArgs} returns when the arguments are usable. */
export interface CollectionArgs<F extends string> {
  /** The flags. */
  values: CollectionFlags<F>;
  /** The positional arguments. */
  positionals: string[];
}

/**
 * Parses a collection CLI's arguments.
 *
 * @param args The arguments (`Deno.args`).
 * @param flags The CLI's own string flags, besides `--collection`, `--url` and `--face`.
 * @param positionals Checks the positional arguments; returns what is wrong with them, if anything.
 * @returns The arguments, or `"help"` for `--help` / `-h`.
 * @throws {CliError} For an unknown flag, a missing `--collection` or unusable positionals.
 */
export function parseCollectionArgs<F extends string>(
  args: string[],
  flags: readonly F[],
  positionals: (list: string[]) => string | undefined,
): CollectionArgs<F> | "help" {
  const options: Record<string, { type: "string" }> = {};
  for (const name of ["collection", "url", "face", ...flags]) options[name] = { type: "string" };
  const parsed = parseCli(args, options);
  if (parsed === "help") return "help";
  if (typeof parsed.values.collection !== "string" || parsed.values.collection === "") {
    throw new CliError("--collection is required (see --help)");
  }
  const wrong = positionals(parsed.positionals);
  if (wrong) throw new CliError(`${wrong} (see --help)`);
  return { values: parsed.values as CollectionFlags<F>, positionals: parsed.positionals };
}
