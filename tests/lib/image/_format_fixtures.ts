/**
 * Converts a photo into HEIC, WebP, AVIF and GIF at test time, into a temporary directory, with
 * Debian's tools (`apt-get install -y imagemagick libheif-examples webp libavif-bin`, which
 * `.ci/run` installs): no converted image is committed. {@linkcode formatTools} says which tool is
 * missing, so a suite can report itself ignored instead of passing.
 *
 * @module
 */
import { gridHeic, tileParts } from "./_heif_grid.ts";

/** The external tools the conversions run. */
export const TOOLS = ["convert", "heif-enc", "cwebp", "gif2webp", "avifenc"] as const;

/** The tools not found on PATH (empty when every conversion can run). */
export async function formatTools(): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of TOOLS) {
    const which = await new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    }).output();
    // Only ImageMagick's convert: sandboxes may hold a stand-in that cannot write these formats.
    if (!which.success) missing.push(tool);
  }
  if (!missing.includes("convert")) {
    const list = await run("convert", ["-list", "format"]).catch(() => "");
    if (!/HEIC|WEBP/.test(list)) missing.push("convert (ImageMagick with HEIC/WebP)");
  }
  return missing;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A temporary directory for one suite's conversions; remove it with `Deno.remove(dir, {recursive: true})`. */
export function fixtureDir(): Promise<string> {
  return Deno.makeTempDir({ prefix: "facegate_formats_" });
}

/** What {@linkcode convertPhoto} can write. */
export type Target =
  | "heic"
  | "heic-grid"
  | "heic-grid-irot"
  | "heic-10bit"
  | "webp"
  | "webp-lossless"
  | "webp-animated"
  | "avif"
  | "avif-10bit"
  | "gif"
  | "gif-animated";

/**
 * Converts `src` (any format ImageMagick reads, turned upright first) into `target`, resized to
 * `size` (`WxH`, exact) when given. Returns the bytes.
 */
export async function convertPhoto(
  dir: string,
  src: string,
  target: Target,
  size?: string,
): Promise<Uint8Array> {
  const base = `${dir}/${crypto.randomUUID()}`;
  const png = `${base}.png`;
  await run("convert", [src, "-auto-orient", ...(size ? ["-resize", `${size}!`] : []), png]);
  switch (target) {
    case "heic":
      await run("heif-enc", ["-q", "80", "-o", `${base}.heic`, png]);
      return Deno.readFile(`${base}.heic`);
    case "heic-10bit": {
      await run("convert", [png, "-depth", "16", `${base}_16.png`]);
      await run("heif-enc", ["-q", "80", "-b", "10", "-o", `${base}.heic`, `${base}_16.png`]);
      return Deno.readFile(`${base}.heic`);
    }
    case "heic-grid":
      return await gridFrom(base, png);
    case "heic-grid-irot": {
      // The pixels stored turned a quarter clockwise, with irot 1 to turn them back to display.
      await run("convert", [png, "-rotate", "90", `${base}_turned.png`]);
      return await gridFrom(base, `${base}_turned.png`, 1);
    }
    case "webp":
      await run("cwebp", ["-quiet", "-q", "80", png, "-o", `${base}.webp`]);
      return Deno.readFile(`${base}.webp`);
    case "webp-lossless":
      await run("cwebp", ["-quiet", "-lossless", "-z", "1", png, "-o", `${base}.webp`]);
      return Deno.readFile(`${base}.webp`);
    case "webp-animated":
    case "gif-animated": {
      // Frame 1 the photo, frame 2 the photo turned upside down: only frame 1 may be decoded.
      const gif = `${base}.gif`;
      const turned = ["(", png, "-rotate", "180", ")"];
      await run("convert", ["-delay", "50", png, ...turned, "-loop", "0", gif]);
      if (target === "gif-animated") return Deno.readFile(gif);
      await run("gif2webp", ["-quiet", "-q", "80", gif, "-o", `${base}.webp`]);
      return Deno.readFile(`${base}.webp`);
    }
    case "avif":
      await run("avifenc", ["-s", "10", "-j", "2", png, `${base}.avif`]);
      return Deno.readFile(`${base}.avif`);
    case "avif-10bit":
      await run("avifenc", ["-s", "10", "-j", "2", "-d", "10", png, `${base}.avif`]);
      return Deno.readFile(`${base}.avif`);
    case "gif":
      await run("convert", [png, `${base}.gif`]);
      return Deno.readFile(`${base}.gif`);
  }
}

/** A grid HEIC of 512×512 tiles (the edge tiles padded), as iPhones write them. */
async function gridFrom(base: string, png: string, irot = 0): Promise<Uint8Array> {
  const [w, h] = (await run("identify", ["-format", "%w %h", png])).split(" ").map(Number);
  const cols = Math.ceil(w / 512);
  const rows = Math.ceil(h / 512);
  await run("convert", [
    png,
    "-background",
    "gray",
    "-extent",
    `${cols * 512}x${rows * 512}`,
    "-crop",
    "512x512",
    "+repage",
    `${base}_tile_%d.png`,
  ]);
  const tiles = [];
  for (let i = 0; i < cols * rows; i++) {
    await run("heif-enc", ["-q", "80", "-o", `${base}_tile_${i}.heic`, `${base}_tile_${i}.png`]);
    tiles.push(tileParts(await Deno.readFile(`${base}_tile_${i}.heic`)));
  }
  return gridHeic(tiles, cols, rows, 512, w, h, irot);
}
