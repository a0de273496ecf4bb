/**
 * What every CLI shares: exit codes, `--help`, one-line errors (no stack traces for a user's
 * mistake), hints naming the flag that overrides a refusal, and progress on stderr.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** Exit codes of every CLI: 0 success / match, 1 no match (or refused), 2 usage or error. */
export const EXIT = { ok: 0, noMatch: 1, error: 2 } as const;

/** A failure to report as one line (`error: <message>`) with exit code 2. */
export class CliError extends Error {
  /** @param message One line: what could not be done and why. */
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

/** The option spec of {@linkcode parseCli}: string or boolean flags. */
export type CliOptions = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Parsed arguments, or `"help"` when `--help` / `-h` was given. */
export type CliArgs =
  | { values: Record<string, string | boolean | undefined>; positionals: string[] }
  | "help";

/**
 * Parses `args` with `options` plus `--help` / `-h`.
 *
 * @throws {CliError} For an unknown option or an option without its value.
 */
export function parseCli(args: string[], options: CliOptions): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const m = String((err as Error).message).match(/Unknown option '([^']+)'/);
    throw new CliError(
      m ? `unknown option ${m[1]} (see --help)` : `${(err as Error).message} (see --help)`,
    );
  }
  if (parsed.values.help) return "help";
  return {
    values: parsed.values as Record<string, string | boolean>,
    positionals: parsed.positionals,
  };
}

/**
 * Runs a CLI's `main`: prints a {@linkcode CliError} (and any other error) as one line on stderr
 * and exits 2; otherwise exits with `main`'s code. `FACEGATE_DEBUG=1` adds the stack.
 */
export async function runCli(main: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`error: ${message.split("\n")[0]}`);
    if (Deno.env.get("FACEGATE_DEBUG") === "1" && err instanceof Error) console.error(err.stack);
    code = EXIT.error;
  }
  Deno.exit(code);
}

/**
 * Reads an image file.
 *
 * @throws {CliError} When it does not exist, is a directory or cannot be read.
 */
export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`cannot read image ${path}: no such file`);
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new CliError(`cannot read image ${path}: it is a directory`);
    }
    throw new CliError(`cannot read image ${path}: ${(err as Error).message}`);
  }
}

/** What the user can do about a refused image or request, by problem code. */
const HINTS: Record<string, string> = {
  multiple_faces: "pass --face largest (or center, primary) to use one of them",
  no_face: "use a photo where the face is larger and unobstructed",
  low_quality: "use a sharper, larger, more frontal photo (the quality gate has no override)",
  unsupported_media_type: "convert it to JPEG or PNG",
  image_too_large: "downscale it (the server sets FACEGATE_MAX_PIXELS)",
  payload_too_large: "downscale it (the server sets FACEGATE_MAX_BODY_BYTES)",
  collection_not_found: "check the collection name, or enroll into it first",
  subject_not_found: "check the subject name, or enroll it first",
  unauthorized: "set FACEGATE_API_KEY to a key made by `deno task keys create`",
  forbidden: "use a key with the role and collection this needs",
};

/** A problem+json body as one line: `code: detail; hint`. */
export function describeProblem(status: number | undefined, body: unknown): string {
  const p = (body ?? {}) as { code?: unknown; detail?: unknown };
  const code = typeof p.code === "string"
    ? p.code
    : status === undefined
    ? "error"
    : `HTTP ${status}`;
  const detail = typeof p.detail === "string" ? p.detail : "";
  const hint = typeof p.code === "string" ? HINTS[p.code] : undefined;
  return `${code}${detail ? `: ${detail}` : ""}${hint ? `; ${hint}` : ""}`;
}

/**
 * Progress on stderr: a redrawn bar on a terminal; otherwise a line every tenth of the way (and
 * at the end), so logs stay readable. Nothing for a single item.
 */
export function progress(done: number, total: number, label = ""): void {
  if (total <= 1) return;
  const enc = new TextEncoder();
  if (Deno.stderr.isTerminal()) {
    const width = 28;
    const filled = Math.round((done / total) * width);
    const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
    Deno.stderr.writeSync(enc.encode(`\r${bar} ${label.slice(0, 30).padEnd(30)}`));
    if (done === total) Deno.stderr.writeSync(enc.encode("\n"));
    return;
  }
  const step = Math.max(1, Math.floor(total / 10));
  if (done === total || (done > 0 && done % step === 0)) {
    Deno.stderr.writeSync(enc.encode(`progress ${done}/${total}${label ? ` ${label}` : ""}\n`));
  }
}
