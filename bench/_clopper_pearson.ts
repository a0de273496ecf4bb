/**
 * Exact (Clopper–Pearson) confidence interval of a binomial proportion, as ISO/IEC 30107-3 reports
 * APCER and BPCER.
 *
 * @module
 */

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

/** P(X ≤ k) for X ~ Binomial(n, p). */
function binomCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  let s = 0;
  for (let i = 0; i <= k; i++) {
    s += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, s);
}

/** The p in [0, 1] where the decreasing function `f` crosses `target` (bisection). */
function solve(f: (p: number) => number, target: number): number {
  let lo = 0, hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The two-sided `1 − alpha` Clopper–Pearson interval of `k` successes in `n` trials.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clopperPearson } from "./_clopper_pearson.ts";
 * const [lo, hi] = clopperPearson(0, 100);
 * assert.equal(lo, 0);
 * assert.ok(Math.abs(hi - 0.0362) < 1e-3); // the "rule of three" gives ≈ 0.03
 * const [l2, h2] = clopperPearson(5, 10);
 * assert.ok(Math.abs(l2 - 0.187) < 1e-3 && Math.abs(h2 - 0.813) < 1e-3);
 * ```
 */
export function clopperPearson(k: number, n: number, alpha = 0.05): [number, number] {
  if (!(n > 0) || k < 0 || k > n) throw new RangeError(`clopperPearson: bad k=${k}, n=${n}`);
  const lo = k === 0 ? 0 : solve((p) => binomCdf(k - 1, n, p), 1 - alpha / 2);
  const hi = k === n ? 1 : solve((p) => binomCdf(k, n, p), alpha / 2);
  return [lo, hi];
}
