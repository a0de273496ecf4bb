/**
 * Shared by the model tests: where the photo data set lives and one model session cache per test
 * process, so every test file reuses the same ONNX sessions.
 *
 * @module
 */
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";

/**
 * The shared face data set: `$FACEGATE_DATA`, default `../shared/data` from the cwd.
 * @throws {Error} when `${dir}/faces/pairs.csv` is missing (tests fail loudly, never skip).
 */
export function dataDir(): string {
  const dir = Deno.env.get("FACEGATE_DATA") ?? "../shared/data";
  try {
    Deno.statSync(`${dir}/faces/pairs.csv`);
  } catch (cause) {
    throw new Error(
      `The face data set is missing: expected ${dir}/faces/pairs.csv (set FACEGATE_DATA to the ` +
        `folder holding faces/ and faces-misc/; default ../shared/data relative to the cwd)`,
      { cause },
    );
  }
  return dir;
}

/** Reads `relative` (e.g. `"faces-misc/index.csv"`) from the data set. */
export function readData(relative: string): Promise<Uint8Array> {
  return Deno.readFile(`${dataDir()}/${relative}`);
}

/** Model sessions shared by every test file of the process (created lazily on first use). */
export const sessions: SessionCache = new SessionCache(fileModelLoader());
