import assert from "node:assert/strict";
import { rocCurve } from "../../../lib/match/mod.ts";
import { seededRandom } from "./_random.ts";

Deno.test("rocCurve() has one point per candidate threshold from (0, 0) to (1, 1)", () => {
  assert.deepEqual(rocCurve([0.25, 0.75, 1.25], [true, false, true]), [
    { threshold: 0, far: 0, tar: 0 },
    { threshold: 0.5, far: 0, tar: 0.5 },
    { threshold: 1, far: 1, tar: 0.5 },
    { threshold: 1.5, far: 1, tar: 1 },
  ]);
});

Deno.test("rocCurve() moves diagonally through distances tied across labels", () => {
  assert.deepEqual(rocCurve([0.5, 0.5], [true, false]), [
    { threshold: 0, far: 0, tar: 0 },
    { threshold: 1, far: 1, tar: 1 },
  ]);
});

Deno.test("rocCurve() is monotone in threshold, FAR and TAR", () => {
  const random = seededRandom(5);
  const d = Array.from({ length: 300 }, () => Math.round(random() * 50) / 25);
  const s = d.map(() => random() < 0.5);
  const points = rocCurve(d, s);
  assert.equal(points.length, new Set(d).size + 1);
  for (let i = 1; i < points.length; i++) {
    assert.ok(points[i].threshold > points[i - 1].threshold);
    assert.ok(points[i].far >= points[i - 1].far && points[i].tar >= points[i - 1].tar);
  }
});

Deno.test("rocCurve() throws RangeError unless both labels are present", () => {
  assert.throws(() => rocCurve([0.1, 0.2], [false, false]), RangeError);
  assert.throws(() => rocCurve([], []), RangeError);
});
