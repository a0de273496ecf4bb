/**
 * Embeds every image of the dev set once (largest face) and caches the result on disk so the
 * calibration and scale benchmarks do not recompute it.
 *
 * @module
 */
import { analyzeImage } from "../lib/pipeline/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { isFaceError } from "../lib/errors.ts";
import { dataDir } from "./_data.ts";

/** One image of `faces/manifest.csv` with its embedding (null: no face / undecodable). */
export interface EmbeddedImage {
  path: string;
  identity: string;
  source: string;
  embedding: Float32Array | null;
}

/** Reads `faces/manifest.csv` and embeds (or loads cached embeddings of) every image. */
export async function embedDataset(options: { flip?: boolean } = {}): Promise<EmbeddedImage[]> {
  const flip = options.flip ?? true;
  const root = `${dataDir()}/faces`;
  const rows = (await Deno.readTextFile(`${root}/manifest.csv`)).trim().split("\n").slice(1)
    .map((l) => l.split(","));
  const cacheDir = new URL("./.cache/", import.meta.url);
  await Deno.mkdir(cacheDir, { recursive: true });
  const cacheFile = new URL(
    `embeddings-primary-${MODEL_MANIFEST.embedder.id.replace(/[^A-Za-z0-9.-]/g, "_")}-${
      flip ? "flip" : "noflip"
    }-${MODEL_MANIFEST.embedder.input.channels}.json`,
    cacheDir,
  );
  let cached: Record<string, number[] | null> = {};
  try {
    cached = JSON.parse(await Deno.readTextFile(cacheFile));
  } catch { /* no cache yet */ }
  const sessions = new SessionCache(fileModelLoader());
  const out: EmbeddedImage[] = [];
  let computed = 0;
  for (const [i, [path, identity, source]] of rows.entries()) {
    let emb: Float32Array | null;
    if (path in cached) {
      emb = cached[path] ? Float32Array.from(cached[path]!) : null;
    } else {
      try {
        const res = await analyzeImage({ sessions }, await Deno.readFile(`${root}/${path}`), {
          select: "primary",
          flip,
        });
        emb = res.faces[0]?.embedding ?? null;
      } catch (err) {
        if (!isFaceError(err)) throw err;
        emb = null;
      }
      cached[path] = emb ? Array.from(emb) : null;
      computed++;
      if (computed % 50 === 0) {
        Deno.stderr.writeSync(new TextEncoder().encode(`\rembedded ${i + 1}/${rows.length}`));
      }
    }
    out.push({ path, identity, source, embedding: emb });
  }
  if (computed > 0) {
    console.error("");
    await Deno.writeTextFile(cacheFile, JSON.stringify(cached));
  }
  return out;
}
