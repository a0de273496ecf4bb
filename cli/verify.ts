/**
 * `deno task verify --collection C [--url URL] [--threshold T | --far F] [--face F] SUBJECT IMAGE`:
 * prints the verify answer as JSON on stdout.
 *
 * Exit codes: 0 match, 1 no match, 2 usage or error (a missing image, an unreachable server, an
 * unknown collection or subject, a refused image: the reason and what to do on stderr).
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { CliError, describeProblem, EXIT, readImageFile, runCli } from "./_cli.ts";
import { openClient } from "./_client.ts";

/** The usage text printed by `--help`. */
export const USAGE =
  `Usage: deno task verify --collection C [--url URL] [--threshold T | --far F] [--face F] SUBJECT IMAGE

Is the face in IMAGE the enrolled SUBJECT? Prints the answer as JSON.

  --collection C   collection of the subject
  --url URL        a running server (default: the local store, like deno task dev)
  --threshold T    L2 distance threshold (0..2); or
  --far F          a calibrated false-accept rate: 1e-2 | 1e-3 | 1e-4 (0.001 works too)
  --face F         largest (default) | center | primary | single
  -h, --help       this text

Exit codes: 0 match, 1 no match, 2 usage or error.
With --url, $FACEGATE_API_KEY is sent as the bearer key; 429 answers are retried after Retry-After.`;

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["threshold", "far"],
    (p) => p.length === 2 ? undefined : "give SUBJECT and IMAGE",
  );
  if (args === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { values, positionals: [subject, image] } = args;
  await readImageFile(image); // a missing file is a usage error before the store opens
  const client = await openClient(values.url);
  try {
    const answer = await client.verify({
      collection: values.collection,
      subject,
      image,
      threshold: values.threshold,
      far: values.far,
      face: values.face,
    });
    if (!answer.ok) throw new CliError(`${image}: ${describeProblem(answer.status, answer.body)}`);
    console.log(JSON.stringify(answer.body));
    return answer.body.match === true ? EXIT.ok : EXIT.noMatch;
  } finally {
    await client.close();
  }
}

if (import.meta.main) await runCli(main);
