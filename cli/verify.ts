/**
 * `deno task verify --collection C [--url URL] [--threshold T | --far F] SUBJECT IMAGE`: prints
 * the verify response as JSON on stdout. Exit code 0 on a match, 1 on no match, 2 on an error.
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { encodePath, imageRequest, openClient, queryString } from "./_client.ts";

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["threshold", "far"],
    "verify --collection C [--url URL] [--threshold T | --far F] SUBJECT IMAGE",
    (n) => n === 2,
  );
  if (!args) return 2;
  const { values, positionals: [subject, image] } = args;
  const client = await openClient(values.url);
  try {
    const query = queryString({ threshold: values.threshold, far: values.far, face: values.face });
    const res = await client.request(
      `/v1/collections/${encodePath(values.collection)}/subjects/${
        encodePath(subject)
      }/verify${query}`,
      await imageRequest(image),
    );
    const body = await res.json();
    console.log(JSON.stringify(body));
    return !res.ok ? 2 : body.match ? 0 : 1;
  } finally {
    await client.close();
  }
}

if (import.meta.main) Deno.exit(await main());
