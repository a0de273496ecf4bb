import assert from "node:assert/strict";
import type { Detection } from "../../../lib/detect/box.ts";
import { nms } from "../../../lib/detect/nms.ts";

const det = (x: number, y: number, w: number, h: number, score: number): Detection => ({
  box: { x, y, width: w, height: h },
  score,
});

Deno.test("nms() returns an empty list for no detections", () => {
  assert.deepEqual(nms([]), []);
});

Deno.test("nms() keeps the best of overlapping boxes and drops the rest", () => {
  const best = det(0, 0, 10, 10, 0.9);
  const kept = nms([det(1, 1, 10, 10, 0.8), best, det(0, 1, 10, 10, 0.85)]);
  assert.deepEqual(kept, [best]);
});

Deno.test("nms() keeps separate faces, sorted by descending score", () => {
  const a = det(0, 0, 10, 10, 0.7), b = det(50, 0, 10, 10, 0.95), c = det(0, 50, 10, 10, 0.8);
  assert.deepEqual(nms([a, b, c]), [b, c, a]);
});

Deno.test("nms() drops a box contained in a better one even when their IoU is low", () => {
  const whole = det(0, 0, 100, 100, 0.9);
  const part = det(10, 10, 30, 30, 0.95); // a partial face inside a whole face: IoU 0.09
  assert.deepEqual(nms([whole, part]), [part]); // the better one wins, the other is inside it
  const lower = det(10, 10, 30, 30, 0.5);
  assert.deepEqual(nms([whole, lower]), [whole]);
});

Deno.test("nms() honours iouThreshold and containThreshold", () => {
  const a = det(0, 0, 10, 10, 0.9), b = det(5, 0, 10, 10, 0.8); // IoU 1/3, contained 0.5
  assert.equal(nms([a, b]).length, 2);
  assert.deepEqual(nms([a, b], { iouThreshold: 0.3 }), [a]);
  assert.deepEqual(nms([a, b], { containThreshold: 0.4 }), [a]);
  const inner = det(1, 1, 5, 5, 0.1);
  assert.equal(nms([a, inner], { containThreshold: 1 }).length, 2);
});

Deno.test("nms() does not mutate its input", () => {
  const input = [det(0, 0, 1, 1, 0.1), det(5, 5, 1, 1, 0.9)];
  const copy = structuredClone(input);
  nms(input);
  assert.deepEqual(input, copy);
});
