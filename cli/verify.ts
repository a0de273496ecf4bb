/**
 * `deno task verify --collection C [--url URL] [--threshold T | --far F] SUBJECT IMAGE`: prints
 * the verify response as JSON on stdout. Exit code 0 on a match, 1 on no match, 2 on an error.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { encodePath, imageRequest, openClient, queryString } from "./_client.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      collection: { type: "string" },
      url: { type: "string" },
      threshold: { type: "string" },
      far: { type: "string" },
      face: { type: "string" },
    },
    allowPositionals: true,
  });
  if (!values.collection || positionals.length !== 2) {
    console.error(
      "usage: deno task verify --collection C [--url URL] [--threshold T | --far F] SUBJECT IMAGE",
    );
    return 2;
  }
  const [subject, image] = positionals;
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
