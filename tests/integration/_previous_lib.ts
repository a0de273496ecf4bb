/**
 * `lib/` of an earlier commit of this repository, extracted with `git archive` into a temp
 * directory (removed at unload), for tests that read data written by a previous version.
 *
 * @module
 */

/**
 * Extracts `lib/` of `commit`; null when the history is missing (the caller ignores its test).
 *
 * @returns The directory holding `lib/`.
 */
export async function previousLib(commit: string): Promise<string | null> {
  const dir = await Deno.makeTempDir({ prefix: "facegate_prev_" });
  const out = await new Deno.Command("sh", {
    args: ["-c", `git archive ${commit} lib | tar -x -C "${dir}"`],
    cwd: new URL("../../", import.meta.url),
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    await Deno.remove(dir, { recursive: true });
    return null;
  }
  addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return dir;
}

/** The last commit that sealed embeddings with the v1 AAD (before creation times were bound). */
export const AAD_V1_COMMIT = "e00e9af";
