/**
 * End to end on workerd: the Cloudflare Workers entry (functions/worker.ts, bundled by
 * tools/build_worker.ts) under `wrangler dev --local` on a free loopback port, storing faces, the
 * API key and rate-limit counters in a real redis-server behind the Upstash REST bridge. Drives
 * enroll → verify → identify → delete over HTTP with LFW photos, checks that the worker's
 * embeddings equal the Deno path's, and prints the bundle size and cold start to stderr.
 *
 * wrangler runs a copy of wrangler.toml without `[build]` (the test builds first): its watcher
 * would otherwise rebuild and restart the worker mid-test whenever a source file changes.
 *
 * Needs `npm install` (wrangler) and redis-server (fails loudly without it unless
 * FACEGATE_SKIP_REDIS=1). Every wait is bounded; the wrangler/workerd process group is killed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createApiKey, UpstashKeyStore } from "../../lib/auth/mod.ts";
import { analyzeImage } from "../../lib/pipeline/mod.ts";
import { defaultRecipe } from "../../models/manifest.ts";
import { buildWorker } from "../../tools/build_worker.ts";
import { startWranglerDev } from "../../tools/wrangler_dev.ts";
import { dataDir, sessions } from "../_data.ts";
import { redisTest, withRedis } from "./_redis_fixture.ts";
import { TEST_MASTER_KEY } from "../_master_key.ts";
import {
  convertPhoto,
  fixtureDir,
  formatTools,
  type Target,
} from "../lib/image/_format_fixtures.ts";

/** Longest wait for one request (the first one loads three models). */
const REQUEST_TIMEOUT_MS = 60_000;
/** Enrolled people; each has one or two enrolled photos and a held-out one. */
const PEOPLE = 3;
/** The collection the test enrolls into (the API key is scoped to it). */
const COLLECTION = "worker-e2e";

/** The step that needs Debian's conversion tools (ignored, never passed, without them). */
const FORMATS_STEP = "verify accepts the held-out photo as HEIC, grid HEIC, WebP, AVIF and GIF";
const formatsMissing = await formatTools();

/** Starts `wrangler dev --local` (tools/wrangler_dev.ts) with `vars` as Worker variables. */
function startWorker(vars: Record<string, string>) {
  return startWranglerDev({ vars, logLevel: "info" });
}

interface Person {
  name: string;
  photos: string[];
}

/** LFW people (by name) with at least three photos: their first three. */
function pickPeople(dir: string): Person[] {
  const byName = new Map<string, string[]>();
  const lines = Deno.readTextFileSync(`${dir}/faces/manifest.csv`).trim().split("\n").slice(1);
  for (const line of lines) {
    const [path, identity, source] = line.split(",");
    if (source !== "lfw-deepfunneled") continue;
    byName.set(identity, [...(byName.get(identity) ?? []), path]);
  }
  return [...byName].filter(([, photos]) => photos.length >= 3)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, photos]) => ({ name, photos: photos.sort().slice(0, 3) }));
}

/** HTTP calls to the worker with an API key; every call is bounded. */
function apiClient(key: string) {
  const headers = { authorization: `Bearer ${key}` };
  const signal = () => AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return {
    /** POSTs a photo as a raw body (image/jpeg unless `type`); returns status, JSON body, ms. */
    async post(url: string, photo: Uint8Array, type = "image/jpeg") {
      const start = performance.now();
      const res = await fetch(url, {
        method: "POST",
        headers: { ...headers, "content-type": type },
        body: photo as BodyInit,
        signal: signal(),
      });
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`${url} answered ${res.status} with non-JSON: ${text.slice(0, 2000)}`);
      }
      return { status: res.status, body, ms: performance.now() - start };
    },
    /** GETs JSON. */
    async get(url: string) {
      const res = await fetch(url, { headers, signal: signal() });
      return { status: res.status, body: await res.json() };
    },
    /** DELETEs; returns the status. */
    async delete(url: string): Promise<number> {
      const res = await fetch(url, { method: "DELETE", headers, signal: signal() });
      await res.body?.cancel();
      return res.status;
    },
  };
}

redisTest(
  "the Workers entry on workerd enrolls, verifies, identifies and forgets through Upstash REST",
  async (t) => {
    const dir = dataDir();
    const candidates = pickPeople(dir);
    assert.ok(candidates.length >= 2 * PEOPLE, "the data set has too few people with three photos");
    const photo = (path: string) => Deno.readFileSync(`${dir}/faces/${path}`);
    const size = await buildWorker();
    const { files: _, ...total } = size;
    console.error(`worker e2e: bundle ${JSON.stringify(total)}`);
    assert.ok(size.within_limit, "the worker bundle exceeds Cloudflare's 64 MiB size limit");

    await withRedis(async ({ bridge }) => {
      // A random prefix for every key of this run; the API key is created beside the faces, as
      // the key CLI would, and the worker must find it there.
      const prefix = `e2e${crypto.randomUUID().slice(0, 8)}:`;
      const keys = new UpstashKeyStore({ url: bridge.url, token: bridge.token, prefix });
      const { key } = await createApiKey(keys, {
        name: "worker-e2e",
        role: "enroll",
        collections: [COLLECTION],
      }).finally(() => keys.close());
      const api = apiClient(key);
      const worker = await startWorker({
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        FACEGATE_REDIS_PREFIX: prefix,
        FACEGATE_AUTH: "keys",
        // Templates are sealed on workerd too (WebCrypto AES-GCM).
        FACEGATE_MASTER_KEY: TEST_MASTER_KEY,
      });
      const base = `${worker.url}/v1/collections/${COLLECTION}`;
      try {
        const enrolled: Person[] = [];
        const steps = [
          ["POST /v1/embed on workerd equals the Deno pipeline's embedding", async () => {
            const image = photo(candidates[0].photos[0]);
            const cold = await api.post(`${worker.url}/v1/embed`, image);
            assert.equal(cold.status, 200, JSON.stringify(cold.body));
            const warm: number[] = [];
            for (let i = 0; i < 3; i++) {
              warm.push((await api.post(`${worker.url}/v1/embed`, image)).ms);
            }
            console.error(JSON.stringify({
              worker_cold_start: {
                wrangler_ready_ms: Math.round(worker.readyMs),
                first_request_ms: Math.round(cold.ms),
                warm_request_ms: Math.round(warm.sort((a, b) => a - b)[1]),
                note:
                  "first POST /v1/embed of a fresh worker: env, ort instantiation, 3 model loads, 1 image",
              },
            }));
            // /v1/embed embeds with the default recipe of new work.
            const local = await analyzeImage({ sessions }, image, {
              select: "largest",
              requireFace: true,
              flip: defaultRecipe().flip,
            });
            const want = local.faces[0].embedding!;
            const got: number[] = cold.body.faces[0].embedding;
            assert.equal(got.length, want.length);
            let maxDiff = 0;
            for (let i = 0; i < got.length; i++) {
              maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
            }
            console.error(
              `worker e2e: max |embedding diff| workerd vs Deno = ${maxDiff.toExponential(2)}`,
            );
            assert.ok(maxDiff < 1e-4, `max abs diff ${maxDiff}`);
            const health = await api.get(`${worker.url}/healthz`);
            assert.equal(health.body.store, "upstash");
          }],
          ["POST /v1/liveness on workerd scores as the Deno pipeline does", async () => {
            for (const file of ["bona_fide/0001_00_00_01_0.jpg", "attack/0001_00_00_01_0.jpg"]) {
              const image = Deno.readFileSync(`${dir}/pad/nuaa/${file}`);
              const { status, body } = await api.post(`${worker.url}/v1/liveness`, image);
              assert.equal(status, 200, JSON.stringify(body));
              const local = await analyzeImage({ sessions }, image, {
                select: "largest",
                embed: false,
                liveness: true,
              });
              const want = local.faces[0].liveness!.score;
              assert.ok(Math.abs(body.score - want) < 1e-3, `${file}: ${body.score} vs ${want}`);
              assert.equal(body.live, file.startsWith("bona_fide"));
            }
          }],
          [
            "a liveness challenge on workerd: a session, and four frames without the asked moves refused",
            async () => {
              const started = await fetch(`${worker.url}/v1/liveness/sessions`, {
                method: "POST",
                headers: { authorization: `Bearer ${key}` },
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
              });
              assert.equal(started.status, 201);
              const session = await started.json();
              assert.equal(session.challenge.length, 2);
              // Four real webcam frames of one person, eyes open and head still: no move was made.
              const frames = ["01_0", "02_197", "02_267", "02_343"].map((f) =>
                Deno.readFileSync(`${dir}/pad/nuaa/bona_fide/0005_00_00_${f}.jpg`)
              );
              const form = new FormData();
              const t0 = Date.now();
              for (const [i, f] of frames.entries()) {
                form.append("frame", new Blob([f], { type: "image/jpeg" }), `f${i}.jpg`);
              }
              form.set("timestamps", JSON.stringify([0, 400, 800, 1200].map((x) => t0 + x)));
              form.set("nonce", session.nonce);
              const res = await fetch(
                `${worker.url}/v1/liveness/sessions/${session.session_id}/frames`,
                {
                  method: "POST",
                  headers: { authorization: `Bearer ${key}` },
                  body: form,
                  signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
                },
              );
              const body = await res.json();
              assert.equal(res.status, 200, JSON.stringify(body));
              assert.equal(body.passed, false);
              console.error(`worker e2e: challenge burst of 4 frames: ${JSON.stringify(body)}`);
              assert.ok(typeof body.reason === "string" && body.reason.length > 0);
              assert.equal(body.liveness_token, undefined);
            },
          ],
          ["refuses a request without an API key (401 problem)", async () => {
            // A GET: wrangler's dev proxy breaks its connection to the worker when a worker answers
            // before reading a request body, so the next request would fail with its own 503.
            const res = await fetch(`${base}/subjects`, {
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            assert.equal(res.status, 401);
            assert.equal(res.headers.get("content-type"), "application/problem+json");
            assert.equal((await res.json()).code, "unauthorized");
          }],
          [
            "10 refused POSTs with bodies (401, 403) leave the next 10 requests answered (issue 20)",
            async () => {
              const image = photo(candidates[0].photos[0]);
              const refused = (i: number) =>
                fetch(
                  i % 2 === 0 ? `${base}/identify` : `${worker.url}/v1/collections/other/identify`,
                  {
                    method: "POST",
                    headers: {
                      "content-type": "image/jpeg",
                      ...(i % 2 === 0 ? {} : { authorization: `Bearer ${key}` }),
                    },
                    body: image as BodyInit,
                    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
                  },
                );
              for (let i = 0; i < 10; i++) {
                const res = await refused(i);
                assert.equal(res.status, i % 2 === 0 ? 401 : 403, await res.clone().text());
                await res.body?.cancel();
              }
              for (let i = 0; i < 10; i++) {
                const { status, body } = await api.post(`${worker.url}/v1/detect`, image);
                assert.equal(
                  status,
                  200,
                  `request ${i + 1} after the refusals: ${JSON.stringify(body)}`,
                );
              }
            },
          ],
          ["serves the web app at / with its script and style sheet, without a key", async () => {
            for (
              const [path, file] of [["/", "index.html"], ["/app.js", "app.js"], [
                "/app.css",
                "app.css",
              ]]
            ) {
              const res = await fetch(`${worker.url}${path}`, {
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
              });
              assert.equal(res.status, 200, path);
              const want = await Deno.readTextFile(new URL(`../../web/${file}`, import.meta.url));
              assert.equal(await res.text(), want, path);
            }
          }],
          [
            "identify?face=all on a collection with nothing enrolled yet is 404 collection_not_found",
            async () => {
              const group = Deno.readFileSync(`${dir}/faces-misc/multi_insightface_t1.jpg`);
              const { status, body } = await api.post(`${base}/identify?face=all&k=1`, group);
              assert.equal(status, 404, JSON.stringify(body));
              assert.equal(body.code, "collection_not_found");
            },
          ],
          ["enrolls up to two photos of each of three people (201)", async () => {
            for (const person of candidates) {
              if (enrolled.length === PEOPLE) break;
              let ok = 0;
              for (const path of person.photos.slice(0, 2)) {
                const url = `${base}/subjects/${person.name}/faces?face=largest`;
                const { status, body } = await api.post(url, photo(path));
                if (status === 201) ok++;
                else assert.equal(status, 422, JSON.stringify(body)); // low_quality: a refusal
              }
              if (ok > 0) enrolled.push(person);
            }
            assert.equal(enrolled.length, PEOPLE);
          }],
          ["identify?face=all answers every face of a group photo", async () => {
            const group = Deno.readFileSync(`${dir}/faces-misc/multi_insightface_t1.jpg`);
            const { status, body } = await api.post(`${base}/identify?face=all&k=1`, group);
            assert.equal(status, 200, JSON.stringify(body));
            assert.equal(body.faces.length, 6);
          }],
          ["verify accepts held-out photos and rejects other people's", async () => {
            let trueAccepts = 0;
            for (const [i, person] of enrolled.entries()) {
              const heldOut = photo(person.photos[2]);
              const own = await api.post(`${base}/subjects/${person.name}/verify`, heldOut);
              assert.equal(own.status, 200, JSON.stringify(own.body));
              if (own.body.match === true) trueAccepts++;
              const other = enrolled[(i + 1) % enrolled.length].name;
              const wrong = await api.post(`${base}/subjects/${other}/verify`, heldOut);
              assert.equal(wrong.status, 200, JSON.stringify(wrong.body));
              assert.equal(wrong.body.match, false, `${person.name} verified as ${other}`);
              assert.ok(wrong.body.distance > own.body.distance, `${person.name}: ${other} closer`);
            }
            assert.ok(trueAccepts >= PEOPLE - 1, `true accepts ${trueAccepts}/${PEOPLE}`);
          }],
          [FORMATS_STEP, async () => {
            // The held-out photo of the first person as HEIC (one image and a grid), WebP, AVIF
            // and GIF, converted now: each verifies, close to what the JPEG itself gets.
            const person = enrolled[0];
            const url = `${base}/subjects/${person.name}/verify`;
            const jpeg = await api.post(url, photo(person.photos[2]));
            const src = `${dir}/faces/${person.photos[2]}`;
            const tmp = await fixtureDir();
            try {
              const targets: [Target, string][] = [
                ["heic", "image/heic"],
                ["heic-grid", "image/heic"],
                ["webp", "image/webp"],
                ["avif", "image/avif"],
                ["gif", "image/gif"],
              ];
              for (const [target, type] of targets) {
                const bytes = await convertPhoto(tmp, src, target);
                const { status, body, ms } = await api.post(url, bytes, type);
                assert.equal(status, 200, `${target}: ${JSON.stringify(body)}`);
                assert.equal(body.match, jpeg.body.match, target);
                const gap = Math.abs(body.distance - jpeg.body.distance);
                console.error(
                  `worker e2e: ${target} distance ${body.distance} (JPEG ${jpeg.body.distance}), ${
                    ms.toFixed(0)
                  } ms`,
                );
                assert.ok(
                  gap < 0.2,
                  `${target}: distance ${body.distance} vs ${jpeg.body.distance}`,
                );
                const cut = await api.post(url, bytes.subarray(0, bytes.length >> 1), type);
                assert.equal(cut.status, 400, `${target} truncated: ${JSON.stringify(cut.body)}`);
              }
            } finally {
              await Deno.remove(tmp, { recursive: true });
            }
          }],
          ["identify ranks each person first from a held-out photo", async () => {
            for (const person of enrolled) {
              const url = `${base}/identify?k=3`;
              const { status, body } = await api.post(url, photo(person.photos[2]));
              assert.equal(status, 200, JSON.stringify(body));
              assert.equal(body.candidates[0]?.subject, person.name, JSON.stringify(body));
              assert.ok(body.match === null || body.match.subject === person.name);
            }
          }],
          ["a deleted subject is gone from verify and identify", async () => {
            const victim = enrolled[0];
            const held = photo(victim.photos[2]);
            assert.equal(await api.delete(`${base}/subjects/${victim.name}`), 204);
            const verify = await api.post(`${base}/subjects/${victim.name}/verify`, held);
            assert.equal(verify.status, 404);
            assert.equal(verify.body.code, "subject_not_found");
            const identify = await api.post(`${base}/identify?k=10`, held);
            assert.equal(identify.status, 200);
            assert.ok(
              identify.body.candidates.every((c: { subject: string }) => c.subject !== victim.name),
            );
            for (const person of enrolled.slice(1)) {
              assert.equal(await api.delete(`${base}/subjects/${person.name}`), 204);
            }
          }],
          ["the cron trigger purges a subject whose expiry has passed", async () => {
            const person = enrolled[1];
            const expiresAt = Date.now() + 1500;
            const url = `${base}/subjects/${person.name}/faces?expires_at=` +
              new Date(expiresAt).toISOString();
            const { status, body } = await api.post(url, photo(person.photos[0]));
            assert.equal(status, 201, JSON.stringify(body));
            const listed = await api.get(`${base}/subjects/${person.name}`);
            assert.equal(listed.body.expires_at, new Date(expiresAt).toISOString());
            // workerd's clock is this machine's: wait until the expiry has passed.
            await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
            // wrangler dev runs the Worker's scheduled handler on this path (miniflare's trigger).
            const cron = await fetch(`${worker.url}/cdn-cgi/handler/scheduled?cron=0+*+*+*+*`, {
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            await cron.body?.cancel();
            assert.equal(cron.status, 200);
            let gone = 0;
            for (let i = 0; i < 100 && gone !== 404; i++) {
              gone = (await api.get(`${base}/subjects/${person.name}`)).status;
              if (gone !== 404) await new Promise((r) => setTimeout(r, 100));
            }
            assert.equal(gone, 404, "the scheduled purge deleted the expired subject");
          }],
        ] as const;
        for (const [name, fn] of steps) {
          const ignore = name === FORMATS_STEP && formatsMissing.length > 0;
          if (ignore) console.error(`worker e2e: formats ignored, missing ${formatsMissing}`);
          if (!(await t.step({ name, fn, ignore })) && !ignore) {
            console.error(`wrangler output:\n${worker.output().slice(-4000)}`);
            break; // later steps depend on earlier ones
          }
        }
      } catch (err) {
        console.error(`wrangler output:\n${worker.output().slice(-4000)}`);
        throw err;
      } finally {
        await worker.stop();
      }
    });
  },
);
