import assert from "node:assert/strict";
import { l2Distance, squaredL2Distance } from "../../../lib/match/mod.ts";

Deno.test("squaredL2Distance() is the sum of squared differences", () => {
  assert.equal(squaredL2Distance([0, 0], [3, 4]), 25);
  assert.equal(squaredL2Distance([1, 2, 3], [1, 2, 3]), 0);
  assert.equal(squaredL2Distance([1, -1], [-1, 1]), 8);
});

Deno.test("squaredL2Distance() is the square of l2Distance()", () => {
  const a = [0.1, 0.7, -0.3], b = [0.4, -0.2, 0.9];
  assert.ok(Math.abs(squaredL2Distance(a, b) - l2Distance(a, b) ** 2) < 1e-15);
});

Deno.test("squaredL2Distance() throws RangeError when the dimensions differ", () => {
  assert.throws(() => squaredL2Distance([1], []), RangeError);
});
