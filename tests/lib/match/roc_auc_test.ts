import assert from "node:assert/strict";
import { rocAuc } from "../../../lib/match/mod.ts";
import { seededRandom } from "./_random.ts";

Deno.test("rocAuc() is 1 for separable pairs and 0 for inverted ones", () => {
  assert.equal(rocAuc([0.2, 0.4, 0.9, 1.1], [true, true, false, false]), 1);
  assert.equal(rocAuc([0.2, 0.4, 0.9, 1.1], [false, false, true, true]), 0);
});

Deno.test("rocAuc() counts a tie between labels as one half", () => {
  assert.equal(rocAuc([0.5, 0.5], [true, false]), 0.5);
  // Pairs (pos, neg): (0.25, 0.5) win, (0.5, 0.5) tie, (0.75, 0.5) loss → 1.5 / 3.
  assert.equal(rocAuc([0.25, 0.5, 0.75, 0.5], [true, true, true, false]), 0.5);
  // (0.25 vs 0.5, 1) two wins; (0.5 vs 0.5) tie, (0.5 vs 1) win → 3.5 / 4.
  assert.equal(rocAuc([0.25, 0.5, 0.5, 1], [true, true, false, false]), 0.875);
});

Deno.test("rocAuc() equals the Mann–Whitney statistic on random data with ties", () => {
  const random = seededRandom(9);
  const d: number[] = [];
  const s: boolean[] = [];
  for (let i = 0; i < 500; i++) {
    const p = random() < 0.4;
    s.push(p);
    d.push(Math.round(((p ? 0.9 : 1.2) + (random() - 0.5)) * 20) / 20);
  }
  const pos = d.filter((_, i) => s[i]), neg = d.filter((_, i) => !s[i]);
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p < n ? 1 : p === n ? 0.5 : 0;
  assert.ok(Math.abs(rocAuc(d, s) - wins / (pos.length * neg.length)) < 1e-12);
});

Deno.test("rocAuc() throws RangeError unless both labels are present", () => {
  assert.throws(() => rocAuc([0.1, 0.2], [true, true]), {
    name: "RangeError",
    message: "Cannot compute ROC AUC: needs same-person and different-person pairs, got 2 and 0",
  });
  assert.throws(() => rocAuc([], []), RangeError);
  assert.throws(() => rocAuc([0.1], [true, false]), RangeError);
});
