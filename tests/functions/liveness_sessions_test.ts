/**
 * Challenge liveness through the app, on real photos of the shared data set. What the data allow:
 * NUAA subject 0005's webcam stills include a real blink (open, shut, open; frame numbers of one
 * capture give the timestamps), and LFW photos of one person turned by different amounts stand in
 * for a head turn (different photos, so they are not a video; they exercise the yaw check). No
 * single real sequence shows both moves, so the passing paths use one-move challenges (injected);
 * the two-move order is tested by `checkBurst`'s unit tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config.ts";
import { MemoryFaceStore } from "../../lib/store/mod.ts";
import type { ChallengeStep } from "../../lib/liveness/mod.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import { createApp } from "../../functions/app.ts";
import { assertProblem, json, postImage, putJson, readData, sessions } from "./_fixtures.ts";

const NUAA = "pad/nuaa/bona_fide";
/** Subject 0005: eyes open (session 01), then a blink (session 02: shut at 123, open at 197). */
const BLINK = [
  `${NUAA}/0005_00_00_01_0.jpg`,
  `${NUAA}/0005_00_00_02_123.jpg`,
  `${NUAA}/0005_00_00_02_197.jpg`,
  `${NUAA}/0005_00_00_02_267.jpg`,
];
/** Frame numbers of {@linkcode BLINK} on one time line (session 02 after session 01's 0..498). */
const BLINK_FRAMES = [0, 600 + 123, 600 + 197, 600 + 267];
/** Arnold Schwarzenegger near frontal (yaw -2, -8), then turned to his left (+24, +29). */
const TURN_LEFT = [22, 17, 32, 24].map((n) =>
  `faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_${String(n).padStart(4, "0")}.jpg`
);
/** Subject 0001 (another person), eyes open. */
const OTHER = [`${NUAA}/0001_00_00_01_0.jpg`, `${NUAA}/0001_00_00_01_96.jpg`];

interface Session {
  session_id: string;
  nonce: string;
  challenge: ChallengeStep[];
  expires_at: string;
}

interface Frames {
  passed: boolean;
  reason?: string;
  liveness_token?: string;
  expires_at?: string;
  checks: Record<string, unknown>;
}

function setup(challenge: ChallengeStep[] = ["blink"]) {
  let now = Date.now();
  let current = challenge;
  const app = createApp({
    pipeline: { sessions },
    store: new MemoryFaceStore(),
    config: parseConfig({ FACEGATE_AUTH: "off", FACEGATE_STORE: "memory" }),
    manifest: MODEL_MANIFEST,
    logger: { info: () => {}, error: () => {} },
    clock: () => new Date(now),
    livenessChallenge: () => [...current],
  });
  return {
    app,
    advance: (ms: number) => now += ms,
    now: () => now,
    use: (c: ChallengeStep[]) => current = c,
  };
}

type App = ReturnType<typeof setup>;

async function start(t: App, collection?: string): Promise<Session> {
  const q = collection ? `?collection=${collection}` : "";
  return await json<Session>(
    await t.app.request(`/v1/liveness/sessions${q}`, { method: "POST" }),
    201,
  );
}

function burst(session: Session, frames: Uint8Array[], timestamps: number[], nonce?: string) {
  const form = new FormData();
  for (const f of frames) {
    form.append("frame", new Blob([f as Uint8Array<ArrayBuffer>], { type: "image/jpeg" }), "f.jpg");
  }
  form.set("timestamps", JSON.stringify(timestamps));
  form.set("nonce", nonce ?? session.nonce);
  return { method: "POST", body: form };
}

async function send(t: App, s: Session, files: string[], times?: number[], nonce?: string) {
  const start = t.now() + 1000;
  const ts = times ?? files.map((_, i) => i * 400);
  return await t.app.request(
    `/v1/liveness/sessions/${s.session_id}/frames`,
    burst(s, files.map(readData), ts.map((x) => start + x), nonce),
  );
}

/** 30 fps frame numbers to ms. */
const at30fps = (frames: number[]) => frames.map((f) => Math.round(f * 1000 / 30));

Deno.test("POST /v1/liveness/sessions answers 201 with an id, a nonce, a random challenge and a 2-minute expiry", async () => {
  const app = createApp({
    pipeline: { sessions },
    store: new MemoryFaceStore(),
    config: parseConfig({ FACEGATE_AUTH: "off", FACEGATE_STORE: "memory" }),
    logger: { info: () => {}, error: () => {} },
  });
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const s = await json<Session>(
      await app.request("/v1/liveness/sessions", { method: "POST" }),
      201,
    );
    assert.match(s.session_id, /^[A-Za-z0-9_-]{22}$/);
    assert.match(s.nonce, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(s.challenge.length, 2);
    assert.ok(s.challenge.includes("blink"));
    assert.ok(s.challenge.some((c) => c === "turn_left" || c === "turn_right"));
    const ttl = Date.parse(s.expires_at) - Date.now();
    assert.ok(ttl > 110_000 && ttl <= 120_000, `ttl ${ttl}`);
    seen.add(s.challenge.join(","));
  }
  assert.ok(seen.size >= 2, "the challenge varies");
});

Deno.test("a real blink burst of one person passes and its token is single-use", async () => {
  const t = setup(["blink"]);
  const s = await start(t);
  const t0 = performance.now();
  const body = await json<Frames>(await send(t, s, BLINK, at30fps(BLINK_FRAMES)));
  console.log(
    `blink burst of ${BLINK.length} frames checked in ${Math.round(performance.now() - t0)} ms`,
  );
  assert.equal(body.passed, true, JSON.stringify(body));
  assert.match(body.liveness_token!, /^lt1\./);
  assert.deepEqual((body.checks.challenge as { frames: number[] }[])[0].frames, [0, 1, 2]);
  // The session is single use: the same frames again are refused.
  await assertProblem(
    await send(t, s, BLINK, at30fps(BLINK_FRAMES)),
    403,
    "invalid_liveness_session",
  );
});

Deno.test("a static photo repeated as frames fails: identical bytes, or identical pixels in different bytes", async () => {
  const t = setup(["blink"]);
  const photo = BLINK[0];
  const same = await json<Frames>(await send(t, await start(t), [photo, photo, photo, photo]));
  assert.deepEqual([same.passed, same.reason], [false, "duplicate_frames"]);
  // Trailing bytes after the JPEG's end make each file different; the pixels stay the same.
  const bytes = readData(photo);
  const variants = [1, 2, 3, 4].map((k) => {
    const v = new Uint8Array(bytes.length + k);
    v.set(bytes);
    return v;
  });
  const s = await start(t);
  const res = await t.app.request(
    `/v1/liveness/sessions/${s.session_id}/frames`,
    burst(s, variants, [0, 400, 800, 1200].map((x) => t.now() + 1000 + x)),
  );
  const body = await json<Frames>(res);
  assert.deepEqual([body.passed, body.reason], [false, "static_frames"]);
  assert.equal(body.checks.motion, 0);
});

Deno.test("frames of two different people fail with different_faces", async () => {
  const t = setup(["blink"]);
  const body = await json<Frames>(
    await send(t, await start(t), [BLINK[0], BLINK[1], OTHER[0], BLINK[2]]),
  );
  assert.deepEqual([body.passed, body.reason], [false, "different_faces"]);
  assert.ok((body.checks.same_face as { max_distance: number }).max_distance > 1.2);
});

Deno.test("a head turn the asked way passes; the same turn against a turn_right challenge fails with wrong_turn", async () => {
  const left = setup(["turn_left"]);
  const ok = await json<Frames>(await send(left, await start(left), TURN_LEFT));
  assert.equal(ok.passed, true, JSON.stringify(ok));
  const yaw = ok.checks.yaw as number[];
  assert.ok(yaw[0] < 10 && yaw[3] > 15, `yaw ${yaw}`);
  const right = setup(["turn_right"]);
  const wrong = await json<Frames>(await send(right, await start(right), TURN_LEFT));
  assert.deepEqual([wrong.passed, wrong.reason], [false, "wrong_turn"]);
  // Frames without the blink asked for fail too.
  const blink = setup(["blink"]);
  const none = await json<Frames>(await send(blink, await start(blink), TURN_LEFT));
  assert.deepEqual([none.passed, none.reason], [false, "blink_not_seen"]);
});

Deno.test("an expired session, a wrong nonce, an unknown session and a replayed burst are refused with 403", async () => {
  const t = setup(["blink"]);
  const s = await start(t);
  t.advance(121_000);
  await assertProblem(
    await send(t, s, BLINK, at30fps(BLINK_FRAMES)),
    403,
    "invalid_liveness_session",
  );
  const s2 = await start(t);
  await assertProblem(
    await send(t, s2, BLINK, at30fps(BLINK_FRAMES), "wrong-nonce"),
    403,
    "invalid_liveness_session",
  );
  await assertProblem(
    await send(t, { ...s2, session_id: "AAAAAAAAAAAAAAAAAAAAAA" }, BLINK),
    403,
    "invalid_liveness_session",
  );
  // A failed burst uses the session up as well: no second try on the same challenge.
  const s3 = await start(t);
  const failed = await json<Frames>(await send(t, s3, [BLINK[0], BLINK[0], BLINK[0], BLINK[0]]));
  assert.equal(failed.passed, false);
  await assertProblem(
    await send(t, s3, BLINK, at30fps(BLINK_FRAMES)),
    403,
    "invalid_liveness_session",
  );
});

Deno.test("timestamps must increase, lie within the session and pair with the frames; 3 or 13 frames are refused", async () => {
  const t = setup(["blink"]);
  const back = await json<Frames>(await send(t, await start(t), BLINK, [0, 800, 400, 1200]));
  assert.deepEqual([back.passed, back.reason], [false, "bad_timestamps"]);
  const late = await json<Frames>(
    await send(t, await start(t), BLINK, at30fps(BLINK_FRAMES).map((x) => x + 200_000)),
  );
  assert.deepEqual([late.passed, late.reason], [false, "bad_timestamps"]);
  await assertProblem(await send(t, await start(t), BLINK, [0, 1, 2]), 400, "invalid_request");
  await assertProblem(
    await send(t, await start(t), BLINK.slice(0, 3), [0, 400, 800]),
    400,
    "invalid_request",
  );
  const thirteen = Array.from({ length: 13 }, (_, i) => BLINK[i % 4]);
  await assertProblem(await send(t, await start(t), thirteen), 400, "invalid_request");
});

Deno.test("a frame over 2 MiB is refused with 413; the burst route's body limit is 8 MiB", async () => {
  const t = setup(["blink"]);
  const s = await start(t);
  const big = new Uint8Array(2 * 1024 * 1024 + 1);
  const frames = [readData(BLINK[0]), big, readData(BLINK[2]), readData(BLINK[3])];
  const res = await t.app.request(
    `/v1/liveness/sessions/${s.session_id}/frames`,
    burst(s, frames, [0, 1, 2, 3].map((i) => t.now() + 1000 + i * 400)),
  );
  await assertProblem(res, 413, "payload_too_large");
  const huge = await t.app.request(`/v1/liveness/sessions/${s.session_id}/frames`, {
    method: "POST",
    headers: { "content-type": "multipart/form-data; boundary=x" },
    body: new Uint8Array(8 * 1024 * 1024 + 1),
  });
  await assertProblem(huge, 413, "payload_too_large");
});

Deno.test("verify with a challenge-mode policy: no token 403, the same person's token matches once, another person's token does not", async () => {
  const t = setup(["blink"]);
  const col = "gate";
  await json(
    await t.app.request(
      `/v1/collections/${col}/subjects/s0005/faces?face=largest`,
      postImage(`${NUAA}/0005_00_00_02_343.jpg`),
    ),
    201,
  );
  await json(
    await t.app.request(
      `/v1/collections/${col}/policy`,
      putJson({ liveness: { required: true, mode: "challenge" } }),
    ),
  );
  const verify = (token?: string) =>
    t.app.request(
      `/v1/collections/${col}/subjects/s0005/verify${token ? `?liveness_token=${token}` : ""}`,
      postImage(`${NUAA}/0005_00_00_02_412.jpg`),
    );
  await assertProblem(await verify(), 403, "liveness_required");

  const passed = await json<Frames>(
    await send(t, await start(t, col), BLINK, at30fps(BLINK_FRAMES)),
  );
  assert.equal(passed.passed, true, JSON.stringify(passed));
  const ok = await json<{ match: boolean; liveness: { live: boolean; mode: string } }>(
    await verify(passed.liveness_token),
  );
  assert.equal(ok.match, true);
  assert.deepEqual([ok.liveness.live, ok.liveness.mode], [true, "challenge"]);
  await assertProblem(await verify(passed.liveness_token), 403, "invalid_liveness_token");

  // A token earned by someone else (a turn by another person) does not match 0005's probe.
  t.use(["turn_left"]);
  const other = await json<Frames>(await send(t, await start(t, col), TURN_LEFT));
  assert.equal(other.passed, true, JSON.stringify(other));
  const mismatch = await json<{ match: boolean; liveness: { live: boolean; reason: string } }>(
    await verify(other.liveness_token),
  );
  assert.equal(mismatch.match, false);
  assert.deepEqual([mismatch.liveness.live, mismatch.liveness.reason], [
    false,
    "challenge_face_mismatch",
  ]);
});

Deno.test("forged, foreign and expired liveness tokens are refused with 403 invalid_liveness_token", async () => {
  const t = setup(["blink"]);
  const col = "gate";
  await json(
    await t.app.request(
      `/v1/collections/${col}/subjects/s0005/faces?face=largest`,
      postImage(`${NUAA}/0005_00_00_02_343.jpg`),
    ),
    201,
  );
  await json(
    await t.app.request(
      `/v1/collections/${col}/policy`,
      putJson({ liveness: { required: true, mode: "challenge" } }),
    ),
  );
  const verify = (token: string) =>
    t.app.request(
      `/v1/collections/${col}/subjects/s0005/verify?liveness_token=${encodeURIComponent(token)}`,
      postImage(`${NUAA}/0005_00_00_02_412.jpg`),
    );
  const token =
    (await json<Frames>(await send(t, await start(t, col), BLINK, at30fps(BLINK_FRAMES))))
      .liveness_token!;
  // Another server (another key) issued this one for the same person.
  const foreign = setup(["blink"]);
  const theirs = (await json<Frames>(
    await send(foreign, await start(foreign, col), BLINK, at30fps(BLINK_FRAMES)),
  )).liveness_token!;
  await assertProblem(await verify(theirs), 403, "invalid_liveness_token");
  // Altered: a later expiry, or another session id, under the original signature.
  const [p, id, exp, mac] = token.split(".");
  const later = (parseInt(exp, 36) + 3_600_000).toString(36);
  await assertProblem(await verify([p, id, later, mac].join(".")), 403, "invalid_liveness_token");
  await assertProblem(
    // Another first character (a random id starts with "B" one time in 64).
    await verify([p, (id[0] === "B" ? "C" : "B") + id.slice(1), exp, mac].join(".")),
    403,
    "invalid_liveness_token",
  );
  await assertProblem(await verify("not-a-token"), 403, "invalid_liveness_token");
  // Expired: 61 s later the genuine token is refused.
  t.advance(61_000);
  await assertProblem(await verify(token), 403, "invalid_liveness_token");
});
