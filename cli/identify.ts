/**
 * `deno task identify --collection C [--url URL] [--k N] [--threshold T | --far F] IMAGE...`:
 * prints one JSON line per image on stdout (`{image, ...identify answer}`, or `{image, error}`
 * for an image the server refused), progress on stderr for several images.
 *
 * Exit codes: 0 every image matched an enrolled subject, 1 at least one did not (no match or
 * refused: the reason and what to do on stderr), 2 usage or error (a missing image, an
 * unreachable server, an unknown collection).
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { CliError, describeProblem, EXIT, progress, runCli } from "./_cli.ts";
import { openClient } from "./_client.ts";

/** The usage text printed by `--help`. */
export const USAGE =
  `Usage: deno task identify --collection C [--url URL] [--k N] [--threshold T | --far F] [--face F] IMAGE...

Who is in each IMAGE? Prints one JSON line per image.

  --collection C   collection to search
  --url URL        a running server (default: the local store, like deno task dev)
  --k N            candidates per image (1..50, default 5)
  --threshold T    L2 distance threshold (0..2); or
  --far F          a calibrated false-accept rate: 1e-2 | 1e-3 | 1e-4 (0.001 works too)
  --face F         largest (default) | center | primary | single
  -h, --help       this text

Exit codes: 0 every image matched, 1 some did not (no match or refused), 2 usage or error.
With --url, $FACEGATE_API_KEY is sent as the bearer key; 429 answers are retried after Retry-After.`;

/** Problems that stop the whole run: every other image would get the same answer. */
const FATAL = new Set([
  "collection_not_found",
  "unauthorized",
  "forbidden",
  "invalid_request",
  "store_unavailable",
  "model_unavailable",
]);

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["k", "threshold", "far"],
    (p) => p.length > 0 ? undefined : "give at least one IMAGE",
  );
  if (args === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { values, positionals } = args;
  for (const image of positionals) {
    await Deno.stat(image).catch(() => {
      throw new CliError(`cannot read image ${image}: no such file`);
    });
  }
  const client = await openClient(values.url);
  let allMatched = true;
  try {
    for (const [i, image] of positionals.entries()) {
      const answer = await client.identify({
        collection: values.collection,
        image,
        k: values.k,
        threshold: values.threshold,
        far: values.far,
        face: values.face,
      });
      const { body } = answer;
      if (!answer.ok) {
        const line = `${image}: ${describeProblem(answer.status, body)}`;
        if (answer.fatal || FATAL.has(String(body.code))) throw new CliError(line);
        console.error(`refused: ${line}`);
        console.log(JSON.stringify({ image, error: body }));
        allMatched = false;
      } else {
        if (!body.match) allMatched = false;
        console.log(JSON.stringify({ image, ...body }));
      }
      progress(i + 1, positionals.length);
    }
  } finally {
    await client.close();
  }
  return allMatched ? EXIT.ok : EXIT.noMatch;
}

if (import.meta.main) await runCli(main);
