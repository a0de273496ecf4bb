import assert from "node:assert/strict";
import { tarAtFar, thresholdAtFar } from "../../../lib/match/mod.ts";

const distances = [0.25, 0.5, 0.75, 0.625, 0.875, 1, 1.25];
const same = [true, true, true, false, false, false, false];

Deno.test("tarAtFar() is the TAR of thresholdAtFar() at the same rate", () => {
  for (const far of [0, 0.1, 0.25, 0.5, 1]) {
    assert.equal(tarAtFar(distances, same, far), thresholdAtFar(distances, same, far).tar);
  }
  assert.equal(tarAtFar(distances, same, 0), 2 / 3);
  assert.equal(tarAtFar(distances, same, 0.25), 1);
});

Deno.test("tarAtFar() throws RangeError like thresholdAtFar()", () => {
  assert.throws(() => tarAtFar(distances, same, 2), RangeError);
  assert.throws(() => tarAtFar([0.5], [true], 0.1), RangeError);
});
