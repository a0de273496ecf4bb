/** Where the shared face data lives: `$FACEGATE_DATA`, else `../shared/data`. Throws when absent. */
export function dataDir(): string {
  const dir = Deno.env.get("FACEGATE_DATA") ?? "../shared/data";
  try {
    Deno.statSync(`${dir}/faces/pairs.csv`);
  } catch {
    throw new Error(
      `The face data set is missing: expected ${dir}/faces/pairs.csv (set FACEGATE_DATA to the folder holding faces/ and faces-misc/)`,
    );
  }
  return dir;
}
