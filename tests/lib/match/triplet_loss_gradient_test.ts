import assert from "node:assert/strict";
import { tripletLoss, tripletLossGradient } from "../../../lib/match/mod.ts";

Deno.test("tripletLossGradient() agrees with finite differences of tripletLoss()", () => {
  const a = [0.3, -0.2, 0.5], p = [0.1, 0.4, 0.2], n = [0.35, -0.1, 0.45];
  const g = tripletLossGradient(a, p, n, { margin: 0.2 });
  assert.ok(g.loss > 0);
  const h = 1e-6;
  for (
    const [name, v, grad] of [["a", a, g.anchor], ["p", p, g.positive], [
      "n",
      n,
      g.negative,
    ]] as const
  ) {
    for (let i = 0; i < v.length; i++) {
      const plus = [...v], minus = [...v];
      plus[i] += h;
      minus[i] -= h;
      const args = (x: number[]) => name === "a" ? [x, p, n] : name === "p" ? [a, x, n] : [a, p, x];
      const [x1, y1, z1] = args(plus), [x2, y2, z2] = args(minus);
      const numeric = (tripletLoss(x1, y1, z1) - tripletLoss(x2, y2, z2)) / (2 * h);
      assert.ok(Math.abs(numeric - grad[i]) < 1e-5, `${name}[${i}]: ${numeric} vs ${grad[i]}`);
    }
  }
});

Deno.test("tripletLossGradient() is zero once the margin is met", () => {
  const g = tripletLossGradient([0, 0], [0.1, 0], [3, 0], { margin: 0.2 });
  assert.equal(g.loss, 0);
  assert.deepEqual([...g.anchor, ...g.positive, ...g.negative], [0, 0, 0, 0, 0, 0]);
});
