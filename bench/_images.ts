/**
 * The speed benchmark's test images: real photos from the shared data set re-encoded as JPEGs of
 * fixed sizes (250×250, 640×480, 1920×1280, 4032×3024). They are built once with jpeg-js (a
 * bench-only dependency, quality 90) and cached under `bench/.cache/images/`.
 *
 * @module
 */
import jpeg from "jpeg-js";
import { decodeImage } from "../lib/image/mod.ts";
import { resizeBilinear } from "../lib/image/resize_bilinear.ts";
import { cropRaster } from "../lib/image/crop_raster.ts";
import type { Raster } from "../lib/image/raster.ts";
import { dataDir } from "./_data.ts";

/** One benchmark image. */
export interface BenchImage {
  /** Short label, e.g. `"640x480"`. */
  label: string;
  width: number;
  height: number;
  /** Where the pixels come from (relative to the data folder) and how they were changed. */
  source: string;
  /** Path of the encoded JPEG. */
  path: string;
  bytes: Uint8Array;
}

interface Spec {
  label: string;
  width: number;
  height: number;
  /** Relative to `<data>/faces`. */
  from: string;
}

/** The sizes of the issue, each from a real single-face photo. */
export const IMAGE_SPECS: readonly Spec[] = [
  { label: "250x250", width: 250, height: 250, from: "Aaron_Eckhart/Aaron_Eckhart_0001.jpg" },
  { label: "640x480", width: 640, height: 480, from: "Guido_van_Rossum/guido_van_rossum1.jpg" },
  { label: "1920x1280", width: 1920, height: 1280, from: "Steve_Wozniak/steve_wozniak4.jpg" },
  { label: "4032x3024", width: 4032, height: 3024, from: "Steve_Wozniak/steve_wozniak1.jpg" },
];

/** Centre-crops `r` to the aspect ratio `w:h`. */
function cropToAspect(r: Raster, w: number, h: number): Raster {
  const target = w / h;
  if (Math.abs(r.width / r.height - target) < 1e-3) return r;
  if (r.width / r.height > target) {
    const cw = Math.round(r.height * target);
    return cropRaster(r, { x: Math.floor((r.width - cw) / 2), y: 0, width: cw, height: r.height });
  }
  const ch = Math.round(r.width / target);
  return cropRaster(r, { x: 0, y: Math.floor((r.height - ch) / 2), width: r.width, height: ch });
}

/** Encodes an RGBA raster as a baseline JPEG. */
export function encodeJpeg(r: Raster, quality = 90): Uint8Array {
  const { data } = jpeg.encode({ width: r.width, height: r.height, data: r.data }, quality);
  return new Uint8Array(data);
}

/**
 * Builds (or loads from the cache) the benchmark images.
 *
 * @param labels Only these sizes. Default: all.
 */
export async function benchImages(labels?: string[]): Promise<BenchImage[]> {
  const root = `${dataDir()}/faces`;
  const cache = new URL("./.cache/images/", import.meta.url);
  await Deno.mkdir(cache, { recursive: true });
  const out: BenchImage[] = [];
  for (const spec of IMAGE_SPECS) {
    if (labels && !labels.includes(spec.label)) continue;
    const src = await Deno.readFile(`${root}/${spec.from}`);
    let bytes: Uint8Array;
    let source = `faces/${spec.from}`;
    // Full resolution: the decode budget of the API would scale a large source down.
    const orig = await decodeImage(src, { maxDecodedBytes: Infinity });
    // The cached file is named after its source's size too: a source decoded differently
    // (another decoder or budget) never reuses an image made from another raster.
    const path = new URL(`${spec.label}-from-${orig.width}x${orig.height}.jpg`, cache).pathname;
    if (orig.width === spec.width && orig.height === spec.height) {
      bytes = src;
      source += " (original file)";
    } else {
      const cropped = cropToAspect(orig, spec.width, spec.height);
      const verb = cropped.width > spec.width ? "downscaled" : "upscaled";
      source += ` (${orig.width}x${orig.height}, centre-cropped to ${cropped.width}x` +
        `${cropped.height}, ${verb}, jpeg-js q90)`;
      try {
        bytes = await Deno.readFile(path);
      } catch {
        bytes = encodeJpeg(resizeBilinear(cropped, spec.width, spec.height));
        await Deno.writeFile(path, bytes);
      }
    }
    out.push({ label: spec.label, width: spec.width, height: spec.height, source, path, bytes });
    if (bytes === src) await Deno.writeFile(path, bytes);
  }
  return out;
}
