/**
 * Runs the README's examples as one script against fresh servers and checks every answer.
 *
 * The `sh` blocks preceded by `<!-- readme-script: dev -->` run in order, in one bash, against a
 * fresh `deno task dev` (Deno KV in a temporary folder, a free port); blocks marked
 * `<!-- readme-script: keys -->` run after them against a server on the same store with API keys
 * required (`functions/main.ts`, auth on). `B` is the server's URL and `FACEGATE_DATA` the data
 * set, as the README's `${B:-…}` / `${FACEGATE_DATA:-…}` defaults expect. `curl` is wrapped so
 * that every call's HTTP status is recorded: the run fails unless each one is 2xx, or the status
 * the line announces with a trailing `# → NNN` comment.
 *
 * `--write` replaces the README's block between `<!-- readme-output:start -->` and
 * `<!-- readme-output:end -->` with the status and answer of each call of this run (embeddings
 * cut to 4 numbers).
 *
 * Usage: `deno run -A tools/readme_script.ts [--write]`. Prints a JSON summary; exit code 0 when
 * every call answered as expected, 1 otherwise.
 *
 * @module
 */
const ROOT = new URL("../", import.meta.url);
const README = new URL("README.md", ROOT);
const DENO = new URL("node_modules/.bin/deno", ROOT).pathname;

/** One `sh` block to run and the server it runs against. */
export interface ScriptBlock {
  /** `dev`: `deno task dev` (auth off); `keys`: the same store with API keys required. */
  server: "dev" | "keys";
  /** The block's text. */
  code: string;
}

/** The marked `sh` blocks of a README, in order. */
export function readmeBlocks(markdown: string): ScriptBlock[] {
  const out: ScriptBlock[] = [];
  const re = /<!-- readme-script: (dev|keys) -->\s*\n```sh\n([\s\S]*?)\n```/g;
  for (const m of markdown.matchAll(re)) {
    out.push({ server: m[1] as "dev" | "keys", code: m[2] });
  }
  return out;
}

/** The status a line announces with `# → NNN`, if any. */
export function expectedStatus(line: string): number | undefined {
  const m = line.match(/#\s*→\s*(\d{3})\b/);
  return m ? Number(m[1]) : undefined;
}

/** A running server. */
interface Server {
  url: string;
  stop(): Promise<void>;
}

async function startServer(args: string[], env: Record<string, string>): Promise<Server> {
  const child = new Deno.Command(DENO, {
    args,
    cwd: ROOT,
    env: { PORT: "0", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  let url = "";
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening:\n${out}`);
    out += value;
    url = out.match(/"facegate listening","url":"(http:\/\/[^"]+)"/)?.[1] ?? "";
  }
  const drain = (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

/** One curl call of the run. */
export interface Call {
  /** The README line (the curl command as written). */
  line: string;
  status: number;
  expected: number | undefined;
  /** The answer body. */
  body: string;
}

/**
 * Runs `code` in bash with `curl` wrapped to record each call. The wrapper writes one record per
 * call to `$README_CALLS`: the call's line number in the block, status and body.
 */
async function runBlock(code: string, env: Record<string, string>, dir: string): Promise<Call[]> {
  const calls = `${dir}/calls`;
  await Deno.writeTextFile(calls, "");
  const prelude = `set -eo pipefail
curl() {
  local body status
  body=$(mktemp)
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@")
  printf '%s\\t%s\\t%s\\n' "\${BASH_LINENO[0]}" "$status" "$(base64 -w0 < "$body")" >> "$README_CALLS"
  cat "$body"
  rm -f "$body"
}
`;
  const script = `${prelude}${code}\n`;
  const offset = prelude.split("\n").length - 1;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: ROOT,
    env: { ...env, README_CALLS: calls },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = code.split("\n");
  const result: Call[] = [];
  for (const record of (await Deno.readTextFile(calls)).split("\n").filter(Boolean)) {
    const [lineNo, status, body64] = record.split("\t");
    const line = lines[Number(lineNo) - offset - 1] ?? "";
    const bytes = Uint8Array.from(atob(body64), (c) => c.charCodeAt(0));
    result.push({
      line: line.trim(),
      status: Number(status),
      expected: expectedStatus(line),
      body: new TextDecoder().decode(bytes),
    });
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`the README block failed (bash exit ${out.code}):\n${err}\n${code}`);
  }
  return result;
}

/** Whether a call answered as the README says it does. */
export function callOk(call: Call): boolean {
  return call.expected !== undefined
    ? call.status === call.expected
    : call.status >= 200 && call.status < 300;
}

/** Shortens long number arrays (embeddings) to their first 4 values. */
function abridge(body: string): string {
  try {
    const value = JSON.parse(
      body,
      (_k, v) =>
        Array.isArray(v) && v.length > 16 && typeof v[0] === "number"
          ? [...v.slice(0, 4), `… ${v.length - 4} more`]
          : v,
    );
    return JSON.stringify(value);
  } catch {
    return body.trim();
  }
}

/** Options for {@linkcode runReadme}. */
export interface RunReadmeOptions {
  /**
   * The `deno` arguments of the server the `dev` blocks run against (it prints the "facegate
   * listening" line with its URL). Default: `["task", "dev"]`; `["task", "dev:worker"]` runs them
   * against the Worker on workerd.
   */
  dev?: string[];
  /** Also run the `keys` blocks (a Deno server with keys on the dev store). Default: true. */
  keys?: boolean;
}

/** Runs every marked block; returns the calls. */
export async function runReadme(markdown: string, options: RunReadmeOptions = {}): Promise<Call[]> {
  const blocks = readmeBlocks(markdown);
  if (blocks.length === 0) throw new Error("README has no <!-- readme-script: … --> blocks");
  const dir = await Deno.makeTempDir({ prefix: "facegate_readme_" });
  const data = Deno.env.get("FACEGATE_DATA") ?? new URL("../shared/data", ROOT).pathname;
  const store = { FACEGATE_KV_PATH: `${dir}/facegate.kv` };
  const calls: Call[] = [];
  try {
    const dev = await startServer(options.dev ?? ["task", "dev"], store);
    try {
      for (const b of blocks.filter((b) => b.server === "dev")) {
        calls.push(
          ...await runBlock(b.code, { B: dev.url, FACEGATE_DATA: data, PATH: path() }, dir),
        );
      }
    } finally {
      await dev.stop();
    }
    const keyed = options.keys === false ? [] : blocks.filter((b) => b.server === "keys");
    if (keyed.length) {
      const server = await startServer(["run", "-A", "functions/main.ts"], {
        ...store,
        FACEGATE_AUTH: "keys",
      });
      try {
        for (const b of keyed) {
          const env = { B: server.url, FACEGATE_DATA: data, PATH: path(), ...store };
          calls.push(...await runBlock(b.code, env, dir));
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return calls;
}

function path(): string {
  return `${new URL("node_modules/.bin", ROOT).pathname}:${Deno.env.get("PATH") ?? ""}`;
}

if (import.meta.main) {
  const markdown = await Deno.readTextFile(README);
  const calls = await runReadme(markdown);
  const failed = calls.filter((c) => !callOk(c));
  for (const c of calls) {
    console.error(`${callOk(c) ? "ok  " : "FAIL"} ${c.status} ${c.line.slice(0, 110)}`);
  }
  if (Deno.args.includes("--write") && failed.length === 0) {
    const answers = calls.map((c) => `${c.status} ${abridge(c.body) || "(no body)"}`).join("\n");
    const next = markdown.replace(
      /(<!-- readme-output:start -->\s*```text\n)[\s\S]*?(```\s*<!-- readme-output:end -->)/,
      (_m, a, b) => `${a}${answers}\n${b}`,
    );
    await Deno.writeTextFile(README, next);
  }
  console.log(JSON.stringify({ calls: calls.length, failed: failed.length }));
  Deno.exit(failed.length ? 1 : 0);
}
