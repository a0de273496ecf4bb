import assert from "node:assert/strict";
import { confidence } from "../../../lib/match/mod.ts";

Deno.test("confidence() is exactly 0.5 at the threshold", () => {
  for (const t of [0, 0.3, 1.1, 1.24, 2]) {
    assert.equal(confidence(t, t), 0.5);
    assert.equal(confidence(t, t, { scale: 0.37 }), 0.5);
  }
});

Deno.test("confidence() falls strictly as the distance grows", () => {
  let previous = Infinity;
  for (let d = 0; d <= 2; d += 0.05) {
    const c = confidence(d, 1.1);
    assert.ok(c < previous && c >= 0 && c <= 1);
    previous = c;
  }
});

Deno.test("confidence() with the default scale of 0.1 is 0.9 at 0.1·ln 9 below the threshold", () => {
  assert.ok(Math.abs(confidence(1.1 - 0.1 * Math.log(9), 1.1) - 0.9) < 1e-12);
  assert.ok(Math.abs(confidence(1.1 + 0.1 * Math.log(9), 1.1) - 0.1) < 1e-12);
});

Deno.test("confidence() is symmetric about the threshold", () => {
  for (const x of [0.01, 0.1, 0.4]) {
    assert.ok(Math.abs(confidence(1 - x, 1) + confidence(1 + x, 1) - 1) < 1e-12);
  }
});

Deno.test("confidence() saturates at 0 and 1 without NaN", () => {
  assert.equal(confidence(Infinity, 1), 0);
  assert.equal(confidence(-Infinity, 1), 1);
  assert.equal(confidence(1000, 1), 0);
  assert.equal(confidence(0, 1, { scale: 1e-6 }), 1);
});

Deno.test("confidence() throws RangeError for a bad scale, distance or threshold", () => {
  assert.throws(() => confidence(1, 1, { scale: 0 }), {
    name: "RangeError",
    message: "Cannot compute confidence: scale must be > 0, got 0",
  });
  assert.throws(() => confidence(1, 1, { scale: -1 }), RangeError);
  assert.throws(() => confidence(1, 1, { scale: Infinity }), RangeError);
  assert.throws(() => confidence(NaN, 1), RangeError);
  assert.throws(() => confidence(1, NaN), RangeError);
});
