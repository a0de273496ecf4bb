/**
 * Bulk enrolment: `deno task enroll --collection C [--url URL] [--face largest] [--max N] DIR`
 * enrolls `DIR/<subject>/<image>` (JPEG/PNG) one image at a time, with a progress bar on stderr
 * and a summary of the refusals (quality, no face, several faces...). Exit code 0 when every
 * image was enrolled or refused by the API, 1 on a usage, server or network failure.
 *
 * @module
 */
import { parseCollectionArgs } from "./_args.ts";
import { encodePath, imageRequest, openClient, queryString } from "./_client.ts";

/** One image to enroll. */
export interface EnrollJob {
  /** Subject name (the directory name). */
  subject: string;
  /** Image file path. */
  path: string;
}

/** The images of `dir/<subject>/*.{jpg,jpeg,png}`, sorted, at most `max` per subject. */
export async function listEnrollJobs(dir: string, max = Infinity): Promise<EnrollJob[]> {
  const jobs: EnrollJob[] = [];
  const subjects: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isDirectory) subjects.push(e.name);
  for (const subject of subjects.sort()) {
    const files: string[] = [];
    for await (const e of Deno.readDir(`${dir}/${subject}`)) {
      if (e.isFile && /\.(jpe?g|png)$/i.test(e.name)) files.push(e.name);
    }
    for (const f of files.sort().slice(0, max)) {
      jobs.push({ subject, path: `${dir}/${subject}/${f}` });
    }
  }
  return jobs;
}

function bar(done: number, total: number, width = 28): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}`;
}

async function main(): Promise<number> {
  const args = parseCollectionArgs(
    Deno.args,
    ["max"],
    "enroll --collection C [--url URL] [--face largest] [--max N] DIR",
    (n) => n === 1,
  );
  if (!args) return 1;
  const { values, positionals } = args;
  const jobs = await listEnrollJobs(positionals[0], values.max ? Number(values.max) : Infinity);
  const client = await openClient(values.url);
  const refused = new Map<string, string[]>();
  const failures: string[] = [];
  const subjects = new Set<string>();
  let enrolled = 0;
  const progress = (done: number, label: string) =>
    Deno.stderr.writeSync(
      new TextEncoder().encode(`\r${bar(done, jobs.length)} ${label.slice(0, 30).padEnd(30)}`),
    );
  try {
    for (const [i, job] of jobs.entries()) {
      progress(i, job.subject);
      const path = `/v1/collections/${encodePath(values.collection)}/subjects/${
        encodePath(job.subject)
      }/faces${queryString({ face: values.face })}`;
      const res = await client.request(path, await imageRequest(job.path));
      const body = await res.json().catch(() => ({}));
      if (res.status === 201) {
        enrolled++;
        subjects.add(job.subject);
      } else if (res.status >= 500 || typeof body.code !== "string") {
        failures.push(`${job.path}: ${res.status} ${body.detail ?? ""}`);
      } else {
        if (!refused.has(body.code)) refused.set(body.code, []);
        refused.get(body.code)!.push(`${job.path}: ${body.detail}`);
      }
    }
  } finally {
    await client.close();
  }
  progress(jobs.length, "");
  console.error("");
  const refusedCount = [...refused.values()].reduce((n, l) => n + l.length, 0);
  console.error(
    `enrolled ${enrolled} face(s) of ${subjects.size} subject(s) into "${values.collection}" ` +
      `(${client.target}); refused ${refusedCount}; failed ${failures.length}`,
  );
  for (const [code, list] of refused) {
    console.error(`  refused, ${code} (${list.length}):`);
    for (const line of list) console.error(`    ${line}`);
  }
  if (failures.length) console.error(`  failed (${failures.length}):`);
  for (const line of failures) console.error(`    ${line}`);
  return failures.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
