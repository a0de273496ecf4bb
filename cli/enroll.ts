/**
 * Bulk enrolment: `deno task enroll --collection C [--url URL] [--face F] [--max N] DIR` enrolls
 * `DIR/<subject>/<image>` (JPEG/PNG) one image at a time, with progress on stderr and a summary
 * (`12 enrolled, 30 already enrolled`, then the refusals: quality, no face, several faces...,
 * naming what to do about each). Each image carries a stable `Idempotency-Key`
 * ({@linkcode enrollKey}), so re-running it on the same folder enrolls nothing twice. When the
 * server says a key's answer was erased (its subject, face or collection was deleted since: 409
 * with `reason: "erased"`), the image is enrolled again under a key derived from that erasure
 * ({@linkcode reenrollKey}), and counted as enrolled.
 *
 * Exit codes: 0 every image enrolled, 1 some were refused, 2 usage or error (a missing folder, an
 * unreachable server, a failed request).
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { CliError, describeProblem, EXIT, progress, readImageFile, runCli } from "./_cli.ts";
import { type Answer, openClient } from "./_client.ts";
import { sha256Hex } from "../lib/encoding/mod.ts";

/**
 * The stable `Idempotency-Key` of one image: the same (collection, subject, image content, `--face`)
 * always gives the same key, so re-running the CLI on a folder enrolls nothing twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enrollKey } from "./enroll.ts";
 * const img = new Uint8Array([1, 2, 3]);
 * assert.equal(await enrollKey("c", "ann", img), await enrollKey("c", "ann", img));
 * assert.notEqual(await enrollKey("c", "ann", img), await enrollKey("c", "bob", img));
 * assert.notEqual(await enrollKey("c", "ann", img), await enrollKey("c", "ann", img, "largest"));
 * ```
 */
export async function enrollKey(
  collection: string,
  subject: string,
  image: Uint8Array,
  face = "",
): Promise<string> {
  const id = `${collection}\0${subject}\0${await sha256Hex(image)}\0${face}`;
  return `enroll-${await sha256Hex(id)}`;
}

/**
 * The key that enrolls an image again after the answer to `key` was erased at `erasedAt` (the
 * problem's `erased_at`): stable for one erasure, so a re-run after an interrupted one still
 * enrolls once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reenrollKey } from "./enroll.ts";
 * const t = "2026-12-01T06:00:00.000Z";
 * assert.equal(await reenrollKey("enroll-ab", t), await reenrollKey("enroll-ab", t));
 * assert.notEqual(await reenrollKey("enroll-ab", t), await reenrollKey("enroll-ab", "x"));
 * assert.match(await reenrollKey("enroll-ab", t), /^enroll-[0-9a-f]{64}$/);
 * ```
 */
export async function reenrollKey(key: string, erasedAt: string): Promise<string> {
  return `enroll-${await sha256Hex(`${key}\0${erasedAt}`)}`;
}

/** How many erasures in a row {@linkcode reenrollKey} follows for one image. */
const MAX_REENROLLS = 4;

/** The usage text printed by `--help`. */
export const USAGE = `Usage: deno task enroll --collection C [--url URL] [--face F] [--max N] DIR

Enrolls DIR/<subject>/<image>.{jpg,jpeg,png,webp,heic,heif,avif,gif}: each sub-folder is a subject.

  --collection C   collection to enroll into (created on first use)
  --url URL        a running server (default: the local store, like deno task dev)
  --face F         single (default: refuse photos with several faces) | largest | center | primary
  --max N          at most N images per subject
  -h, --help       this text

Exit codes: 0 all enrolled, 1 some refused, 2 usage or error.
With --url, $FACEGATE_API_KEY is sent as the bearer key; 429 answers are retried after Retry-After.`;

/** One image to enroll. */
export interface EnrollJob {
  /** Subject name (the directory name). */
  subject: string;
  /** Image file path. */
  path: string;
}

/**
 * The images of `dir/<subject>/*.{jpg,jpeg,png,webp,heic,heif,avif,gif}`, sorted, at most `max` per subject.
 *
 * @throws {CliError} When `dir` does not exist or is not a directory.
 */
export async function listEnrollJobs(dir: string, max = Infinity): Promise<EnrollJob[]> {
  const jobs: EnrollJob[] = [];
  const subjects: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.isDirectory) subjects.push(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new CliError(`${dir}: no such folder`);
    if (err instanceof Deno.errors.NotADirectory) {
      throw new CliError(`${dir} is a file: give the folder that holds one folder per subject`);
    }
    throw new CliError(`cannot read ${dir}: ${(err as Error).message}`);
  }
  for (const subject of subjects.sort()) {
    const files: string[] = [];
    for await (const e of Deno.readDir(`${dir}/${subject}`)) {
      if (e.isFile && /\.(jpe?g|png|webp|heic|heif|avif|gif)$/i.test(e.name)) files.push(e.name);
    }
    for (const f of files.sort().slice(0, max)) {
      jobs.push({ subject, path: `${dir}/${subject}/${f}` });
    }
  }
  return jobs;
}

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["max"],
    (p) => p.length === 1 ? undefined : "give exactly one folder",
  );
  if (args === "help") {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { values, positionals } = args;
  const max = values.max === undefined ? Infinity : Number(values.max);
  if (!Number.isInteger(max) && max !== Infinity || max < 1) {
    throw new CliError(`--max must be a positive integer, got ${JSON.stringify(values.max)}`);
  }
  const jobs = await listEnrollJobs(positionals[0], max);
  if (jobs.length === 0) {
    throw new CliError(
      `${positionals[0]} has no <subject>/<image> files (.jpg, .png, .webp, .heic, .avif, .gif)`,
    );
  }
  const client = await openClient(values.url);
  const refused = new Map<string, string[]>();
  const failures: string[] = [];
  const subjects = new Set<string>();
  let enrolled = 0;
  let already = 0;
  try {
    for (const [i, job] of jobs.entries()) {
      const image = await readImageFile(job.path);
      let key = await enrollKey(values.collection, job.subject, image, values.face);
      let answer: Answer;
      for (let attempt = 0;; attempt++) {
        answer = await client.enroll({
          collection: values.collection,
          subject: job.subject,
          image: job.path,
          face: values.face,
          idempotencyKey: key,
        });
        const erasedAt = answer.body.reason === "erased" ? answer.body.erased_at : undefined;
        if (answer.body.code !== "conflict" || typeof erasedAt !== "string") break;
        if (attempt >= MAX_REENROLLS) break;
        // Enrolled before, then deleted: this run enrolls it again, knowingly.
        key = await reenrollKey(key, erasedAt);
      }
      const { body } = answer;
      if (answer.ok && (answer.replayed || body.already_enrolled === true)) {
        already++;
        subjects.add(job.subject);
      } else if (answer.ok) {
        enrolled++;
        subjects.add(job.subject);
      } else if (answer.fatal || typeof body.code !== "string") {
        failures.push(`${job.path}: ${describeProblem(answer.status, body)}`);
        // Every other image would fail too.
        if (body.code === "unauthorized" || body.code === "forbidden") break;
      } else {
        const code = body.code as string;
        if (!refused.has(code)) refused.set(code, []);
        refused.get(code)!.push(`${job.path}: ${describeProblem(answer.status, body)}`);
      }
      progress(i + 1, jobs.length, job.subject);
    }
  } finally {
    await client.close();
  }
  const refusedCount = [...refused.values()].reduce((n, l) => n + l.length, 0);
  console.error(
    `${enrolled} enrolled, ${already} already enrolled (${subjects.size} subject(s) in ` +
      `"${values.collection}", ${client.target}); refused ${refusedCount}; failed ${failures.length}`,
  );
  for (const [code, list] of refused) {
    console.error(`  refused, ${code} (${list.length}):`);
    for (const line of list) console.error(`    ${line}`);
  }
  if (failures.length) console.error(`  failed (${failures.length}):`);
  for (const line of failures) console.error(`    ${line}`);
  return failures.length > 0 ? EXIT.error : refusedCount > 0 ? EXIT.noMatch : EXIT.ok;
}

if (import.meta.main) await runCli(main);
