import assert from "node:assert/strict";
import { type BurstFrame, type BurstRules, checkBurst } from "../../../lib/liveness/mod.ts";

const RULES: BurstRules = {
  faceThreshold: 1,
  livenessThreshold: 0.5,
  eyeOpen: 0.6,
  eyeClosed: 0.2,
  notBefore: 0,
  notAfter: 100_000,
};

function frame(t: number, yaw: number, eyes: number, over: Partial<BurstFrame> = {}): BurstFrame {
  const x = t / 100;
  return {
    timestamp: t,
    digest: `d${t}`,
    yaw,
    eyes,
    landmarks: [[x, 0], [x + 10, 0], [x + 5, 5], [x + 1, 9], [x + 9, 9]],
    embedding: new Float32Array([1, 0]),
    liveness: { score: 0.9, context: 2.7, judged: true },
    ...over,
  };
}

/** Frontal, turned left, then a blink. */
const LEFT_THEN_BLINK = [
  frame(1000, 2, 1),
  frame(1300, 22, 0.9),
  frame(1600, 3, 0.05),
  frame(1900, 1, 0.95),
];

Deno.test("checkBurst() passes a turn then a blink in order and says which frames showed each", () => {
  const r = checkBurst(LEFT_THEN_BLINK, ["turn_left", "blink"], RULES);
  assert.equal(r.passed, true);
  assert.deepEqual(r.checks.challenge, [
    { step: "turn_left", frames: [0, 1] },
    { step: "blink", frames: [1, 2, 3] },
  ]);
  assert.equal(r.checks.passive.score, 0.9);
});

Deno.test("checkBurst() refuses the moves in the wrong order, and the turn the wrong way", () => {
  assert.equal(checkBurst(LEFT_THEN_BLINK, ["blink", "turn_left"], RULES).reason, "turn_not_seen");
  assert.equal(checkBurst(LEFT_THEN_BLINK, ["turn_right", "blink"], RULES).reason, "wrong_turn");
  const blinkFirst = [frame(0, 0, 1), frame(300, 0, 0.1), frame(600, 2, 0.9), frame(900, -20, 1)];
  assert.equal(checkBurst(blinkFirst, ["blink", "turn_right"], RULES).passed, true);
  assert.equal(checkBurst(blinkFirst, ["blink", "turn_left"], RULES).reason, "wrong_turn");
});

Deno.test("checkBurst() needs the turn to reach 15 degrees from a frontal frame, and eyes shut to 0.2 or less", () => {
  const small = LEFT_THEN_BLINK.map((f, i) => i === 1 ? { ...f, yaw: 14.9 } : f);
  assert.equal(checkBurst(small, ["turn_left"], RULES).reason, "turn_not_seen");
  const at = LEFT_THEN_BLINK.map((f, i) => i === 1 ? { ...f, yaw: 15 } : f);
  assert.equal(checkBurst(at, ["turn_left"], RULES).passed, true);
  const noFrontal = LEFT_THEN_BLINK.map((f) => ({ ...f, yaw: f.yaw + 12 }));
  assert.equal(checkBurst(noFrontal, ["turn_left"], RULES).reason, "turn_not_seen");
  const halfShut = LEFT_THEN_BLINK.map((f, i) => i === 2 ? { ...f, eyes: 0.21 } : f);
  assert.equal(checkBurst(halfShut, ["blink"], RULES).reason, "blink_not_seen");
});

Deno.test("checkBurst() refuses copies, stillness, two faces, bad timing and low passive scores, in that order", () => {
  const dup = LEFT_THEN_BLINK.map((f, i) => i === 3 ? { ...f, digest: "d1000" } : f);
  assert.equal(checkBurst(dup, ["turn_left"], RULES).reason, "duplicate_frames");
  const still = LEFT_THEN_BLINK.map((f) => ({ ...f, landmarks: LEFT_THEN_BLINK[0].landmarks }));
  const r = checkBurst(still, ["turn_left", "blink"], RULES);
  assert.deepEqual([r.reason, r.checks.motion], ["static_frames", 0]);
  const two = LEFT_THEN_BLINK.map((f, i) =>
    i === 2 ? { ...f, embedding: new Float32Array([0, 1]) } : f
  );
  assert.equal(checkBurst(two, ["turn_left"], RULES).reason, "different_faces");
  const back = LEFT_THEN_BLINK.map((f, i) => i === 2 ? { ...f, timestamp: 1200 } : f);
  assert.equal(checkBurst(back, ["turn_left"], RULES).reason, "bad_timestamps");
  const fast = LEFT_THEN_BLINK.map((f, i) => ({ ...f, timestamp: 1000 + i * 50 }));
  assert.equal(checkBurst(fast, ["turn_left"], RULES).reason, "bad_timestamps");
  const late = LEFT_THEN_BLINK.map((f) => ({ ...f, timestamp: f.timestamp + 100_000 }));
  assert.equal(checkBurst(late, ["turn_left"], RULES).reason, "bad_timestamps");
  const spoof = LEFT_THEN_BLINK.map((f, i) =>
    i === 1 ? { ...f, liveness: { score: 0.3, context: 2.7, judged: true } } : f
  );
  assert.equal(checkBurst(spoof, ["turn_left", "blink"], RULES).reason, "not_live");
});

Deno.test("checkBurst() takes the passive minimum over judged frames only, and needs one judged", () => {
  const unjudged = { score: NaN, context: 1.2, judged: false };
  const some = LEFT_THEN_BLINK.map((f, i) => i === 0 ? { ...f, liveness: unjudged } : f);
  const r = checkBurst(some, ["turn_left", "blink"], RULES);
  assert.deepEqual([r.passed, r.checks.passive.judged], [true, 3]);
  const none = LEFT_THEN_BLINK.map((f) => ({ ...f, liveness: unjudged }));
  const n = checkBurst(none, ["turn_left", "blink"], RULES);
  assert.deepEqual([n.reason, n.checks.passive.score], ["insufficient_context", null]);
});
