/**
 * `deno task identify --collection C [--url URL] [--k N] [--threshold T | --far F] IMAGE...`:
 * prints one JSON line per image (`{image, ...identify response}` or `{image, error}`) on stdout.
 * Exit code 0 when every request succeeded, 1 otherwise.
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { encodePath, imageRequest, openClient, queryString } from "./_client.ts";

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["k", "threshold", "far"],
    "identify --collection C [--url URL] [--k N] [--threshold T | --far F] IMAGE...",
    (n) => n > 0,
  );
  if (!args) return 1;
  const { values, positionals } = args;
  const client = await openClient(values.url);
  let ok = true;
  try {
    const query = queryString({
      k: values.k,
      threshold: values.threshold,
      far: values.far,
      face: values.face,
    });
    for (const image of positionals) {
      const res = await client.request(
        `/v1/collections/${encodePath(values.collection)}/identify${query}`,
        await imageRequest(image),
      );
      const body = await res.json();
      if (!res.ok) ok = false;
      console.log(JSON.stringify(res.ok ? { image, ...body } : { image, error: body }));
    }
  } finally {
    await client.close();
  }
  return ok ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
