/**
 * Liveness through the HTTP app: `POST /v1/liveness` (passive), a collection policy that requires
 * it, and the ad-hoc `liveness=true` of verify and identify. Real webcam stills and hand-held
 * prints of the dev PAD set (NUAA, 7 people).
 *
 * @module
 */
import assert from "node:assert/strict";
import { decodeImage } from "../../lib/image/mod.ts";
import { cropRaster } from "../../lib/image/mod.ts";
import { encodeJpeg } from "../lib/pipeline/_jpeg_encoder.ts";
import {
  assertProblem,
  DATA_ROOT,
  json,
  makeApp,
  PHOTOS,
  postImage,
  putJson,
} from "./_fixtures.ts";

const PAD = `${DATA_ROOT}/pad`;
const names = (dir: string) =>
  [...Deno.readDirSync(`${PAD}/nuaa/${dir}`)].map((e) => e.name).filter((n) => n.endsWith(".jpg"))
    .sort();
const BONA = names("bona_fide");
const PRINTS = names("attack");
const person = (file: string) => `p${file.slice(0, 4)}`;
const pad = (relative: string): RequestInit => ({
  method: "POST",
  headers: { "content-type": "image/jpeg" },
  body: Deno.readFileSync(`${PAD}/${relative}`),
});

Deno.test("POST /v1/liveness judges a webcam still live and a hand-held print not live", async () => {
  const { app } = makeApp();
  const live = await json(await app.request("/v1/liveness", pad(`nuaa/bona_fide/${BONA[0]}`)));
  assert.equal(live.live, true);
  assert.ok((live.score as number) >= 0.9, JSON.stringify(live));
  assert.equal(live.threshold, 0.5);
  assert.equal(live.model, "fr_liveness@faceplugin-0.0.1");
  assert.ok((live.box as { width: number }).width > 50);
  const print = await json(await app.request("/v1/liveness", pad(`nuaa/attack/${PRINTS[0]}`)));
  assert.equal(print.live, false);
  assert.ok((print.score as number) < 0.1, JSON.stringify(print));
});

Deno.test("POST /v1/liveness: a stricter threshold is honoured, a looser or bad one refused", async () => {
  const { app } = makeApp();
  const strict = await json(
    await app.request("/v1/liveness?threshold=0.99", pad(`nuaa/bona_fide/${BONA[1]}`)),
  );
  assert.equal(strict.threshold, 0.99);
  await assertProblem(
    await app.request("/v1/liveness?threshold=0.2", pad(`nuaa/bona_fide/${BONA[1]}`)),
    400,
    "invalid_request",
  );
  await assertProblem(
    await app.request("/v1/liveness?threshold=1.5", pad(`nuaa/bona_fide/${BONA[1]}`)),
    400,
    "invalid_request",
  );
});

Deno.test("POST /v1/liveness: a face cropped to fill the frame is a non-response (422 insufficient_context)", async () => {
  const { app } = makeApp();
  const bytes = Deno.readFileSync(`${PAD}/nuaa/bona_fide/${BONA[2]}`);
  const answer = await json(await app.request("/v1/liveness", pad(`nuaa/bona_fide/${BONA[2]}`)));
  const box = answer.box as { x: number; y: number; width: number; height: number };
  // The same live face, cut to 1.2x its box: the surroundings the model needs are gone.
  const raster = await decodeImage(bytes);
  const tight = cropRaster(raster, {
    x: box.x - box.width * 0.1,
    y: box.y - box.height * 0.1,
    width: box.width * 1.2,
    height: box.height * 1.2,
  });
  const res = await app.request("/v1/liveness", {
    method: "POST",
    headers: { "content-type": "image/jpeg" },
    body: encodeJpeg(tight) as Uint8Array<ArrayBuffer>,
  });
  const problem = await assertProblem(res, 422, "insufficient_context");
  assert.ok((problem.context as number) < 1.5);
  assert.equal(problem.min_context, 1.5);
});

Deno.test("POST /v1/liveness: no face is 422 no_face, a group photo with face=single 422 multiple_faces", async () => {
  const { app } = makeApp();
  await assertProblem(await app.request("/v1/liveness", postImage(PHOTOS.noFace)), 422, "no_face");
  await assertProblem(
    await app.request("/v1/liveness?face=single", postImage(PHOTOS.multi)),
    422,
    "multiple_faces",
  );
});

Deno.test("a gate collection requiring liveness matches no print of its enrolled people and their real frames", async (t) => {
  const { app } = makeApp();
  const gate = "nuaa-gate";
  // Two webcam frames per person enrolled (7 people), the other 8 frames per person probed.
  const enrolled = new Set<string>();
  const probes: string[] = [];
  for (const file of BONA) {
    const p = person(file);
    const n = [...enrolled].filter((e) => e.startsWith(p)).length;
    if (n < 2) {
      await json(
        await app.request(
          `/v1/collections/${gate}/subjects/${p}/faces?face=largest`,
          pad(`nuaa/bona_fide/${file}`),
        ),
        201,
      );
      enrolled.add(`${p}/${file}`);
    } else probes.push(file);
  }
  const verify = async (dir: string, file: string, query = "") =>
    await json(
      await app.request(
        `/v1/collections/${gate}/subjects/${person(file)}/verify${query}`,
        pad(`nuaa/${dir}/${file}`),
      ),
    );

  await t.step("without liveness, prints of the enrolled people open the gate", async () => {
    let matched = 0;
    for (const file of PRINTS.slice(0, 21)) if ((await verify("attack", file)).match) matched++;
    assert.ok(matched >= 5, `only ${matched} of 21 prints matched without liveness`);
  });

  await t.step("the policy requires liveness (admin, auth off)", async () => {
    const p = await json(
      await app.request(
        `/v1/collections/${gate}/policy`,
        putJson({ liveness: { required: true } }),
      ),
    );
    assert.deepEqual(p.liveness, { required: true, mode: "passive", threshold: 0.5 });
  });

  await t.step("0 of 70 prints match; each answer says not_live", async () => {
    let matched = 0;
    for (const file of PRINTS) {
      const v = await verify("attack", file);
      if (v.match) matched++;
      const l = v.liveness as { live: boolean; reason?: string; source: string } | undefined;
      assert.ok(l, JSON.stringify(v));
      assert.equal(l.live, false, file);
      assert.ok(l.reason === "not_live" || l.reason === "insufficient_context", String(l.reason));
      assert.equal(l.source, "policy");
    }
    assert.equal(matched, 0);
  });

  await t.step("at least 90% of the real frames match", async () => {
    let matched = 0;
    for (const file of probes) {
      const v = await verify("bona_fide", file);
      if (v.match) matched++;
      assert.equal((v.liveness as { live: boolean }).live, true, file);
    }
    assert.ok(matched / probes.length >= 0.9, `${matched} of ${probes.length}`);
  });

  await t.step("identify never names the person of a print", async () => {
    for (const file of PRINTS.slice(0, 10)) {
      const r = await json(
        await app.request(`/v1/collections/${gate}/identify`, pad(`nuaa/attack/${file}`)),
      );
      assert.equal(r.match, null);
      assert.equal((r.liveness as { live: boolean }).live, false);
    }
    const all = await json(
      await app.request(
        `/v1/collections/${gate}/identify?face=all`,
        pad(`nuaa/attack/${PRINTS[3]}`),
      ),
    );
    for (const f of all.faces as { match: unknown; liveness: { live: boolean } }[]) {
      assert.equal(f.match, null);
      assert.equal(f.liveness.live, false);
    }
  });

  await t.step("enrolling a print is refused with 422 not_live", async () => {
    const res = await app.request(
      `/v1/collections/${gate}/subjects/${person(PRINTS[5])}/faces?face=largest`,
      pad(`nuaa/attack/${PRINTS[5]}`),
    );
    const problem = await assertProblem(res, 422, "not_live");
    assert.equal((problem.liveness as { live: boolean }).live, false);
  });

  await t.step(
    "the policy answers and audits; a looser liveness threshold is refused",
    async () => {
      await assertProblem(
        await app.request(
          `/v1/collections/${gate}/policy`,
          putJson({ liveness: { required: true, threshold: 0.1 } }),
        ),
        400,
        "invalid_request",
      );
      await assertProblem(
        await app.request(
          `/v1/collections/${gate}/policy`,
          putJson({ liveness: { required: "yes" } }),
        ),
        400,
        "invalid_request",
      );
    },
  );
});

Deno.test("verify and identify check liveness ad hoc with liveness=true, and cost nothing without", async () => {
  const { app } = makeApp();
  const c = "adhoc";
  await json(
    await app.request(
      `/v1/collections/${c}/subjects/${person(BONA[0])}/faces?face=largest`,
      pad(`nuaa/bona_fide/${BONA[0]}`),
    ),
    201,
  );
  const plain = await json(
    await app.request(
      `/v1/collections/${c}/subjects/${person(BONA[0])}/verify`,
      pad(`nuaa/bona_fide/${BONA[3]}`),
    ),
  );
  assert.equal(plain.liveness, undefined);
  const print = PRINTS.find((f) => person(f) === person(BONA[0]))!;
  const checked = await json(
    await app.request(
      `/v1/collections/${c}/subjects/${person(BONA[0])}/verify?liveness=true`,
      pad(`nuaa/attack/${print}`),
    ),
  );
  assert.equal(checked.match, false);
  assert.deepEqual(
    { ...(checked.liveness as Record<string, unknown>), score: undefined },
    {
      live: false,
      score: undefined,
      threshold: 0.5,
      mode: "passive",
      source: "request",
      reason: "not_live",
    },
  );
  const id = await json(
    await app.request(
      `/v1/collections/${c}/identify?liveness=true`,
      pad(`nuaa/bona_fide/${BONA[4]}`),
    ),
  );
  assert.equal((id.liveness as { live: boolean }).live, true);
  await assertProblem(
    await app.request(
      `/v1/collections/${c}/identify?liveness=maybe`,
      pad(`nuaa/bona_fide/${BONA[4]}`),
    ),
    400,
    "invalid_request",
  );
});
