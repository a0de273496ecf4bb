/**
 * The arguments of the CLIs that work on one collection (`enroll`, `verify`, `identify`):
 * `--collection` (required), `--url`, `--face`, each CLI's own string flags and positionals.
 *
 * @module
 */
import { parseArgs } from "node:util";

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
 * @param usage The usage line after `usage: deno task `, printed on stderr when the arguments
 *   are not usable.
 * @param positionals Whether the number of positional arguments is acceptable.
 * @returns The arguments, or undefined (after printing the usage) when `--collection` is missing
 *   or `positionals` refuses their number.
 * @throws {TypeError} For an unknown flag (as `parseArgs` does).
 */
export function parseCollectionArgs<F extends string>(
  args: string[],
  flags: readonly F[],
  usage: string,
  positionals: (count: number) => boolean,
): CollectionArgs<F> | undefined {
  const options: Record<string, { type: "string" }> = {};
  for (const name of ["collection", "url", "face", ...flags]) options[name] = { type: "string" };
  const parsed = parseArgs({ args, options, allowPositionals: true });
  if (!parsed.values.collection || !positionals(parsed.positionals.length)) {
    console.error(`usage: deno task ${usage}`);
    return undefined;
  }
  return { values: parsed.values as CollectionFlags<F>, positionals: parsed.positionals };
}
