/**
 * The per-pair false-accept rate of a recipe as data: `F(t)`, the share of different-person pairs
 * at L2 distance `<= t`, measured on the dev impostor pairs and stored in the model manifest. The
 * open-set threshold of a collection of any size follows from it ({@linkcode openSetThreshold}).
 *
 * @module
 */

/**
 * A measured impostor FAR curve: `points` are `[threshold, far]` pairs with both ascending (the
 * empirical curve, each with at least a few impostor pairs below it); below the first point `F`
 * falls log-linearly by `tail_decades_per_unit` decades per unit of distance (fitted on the
 * points at FAR ≤ 1e-3, so extrapolated thresholds for tiny FARs are estimates, not measurements).
 */
export interface ImpostorFarCurve {
  /** `[threshold, far]`, ascending in both; at least two points. */
  points: [number, number][];
  /** Slope of log10(FAR) per unit of distance below the first point (> 0). */
  tail_decades_per_unit: number;
  /** How many impostor pairs the curve was measured on. */
  impostor_pairs: number;
}

/** FAR levels the curve keeps, where the data resolves them. */
const LEVELS = [0.3, 0.1, 0.03, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7];

/** Fewest impostor pairs at or below a kept point (fewer is noise). */
const MIN_PAIRS = 5;

const round = (v: number, d: number) => Number(v.toPrecision(d));

/**
 * Builds the curve from impostor distances: the empirical FAR at each level the data resolves (≥ 5
 * pairs below it) and the log-linear tail fitted by least squares on the kept points at FAR ≤
 * 1e-3 (at least two; else on the two smallest).
 *
 * @param distances Different-person pair distances (any order; not modified).
 * @throws {RangeError} With fewer than 100 distances, or data that resolve under two levels.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildImpostorFarCurve } from "./impostor_far_curve.ts";
 * const d = Array.from({ length: 100_000 }, (_, i) => 0.8 + 0.6 * Math.sqrt((i + 1) / 100_000));
 * const c = buildImpostorFarCurve(d);
 * assert.equal(c.impostor_pairs, 100_000);
 * assert.ok(c.points.length >= 4 && c.tail_decades_per_unit > 0);
 * ```
 */
export function buildImpostorFarCurve(distances: readonly number[]): ImpostorFarCurve {
  if (distances.length < 100) throw new RangeError("buildImpostorFarCurve: need ≥ 100 distances");
  const d = Float64Array.from(distances).sort();
  const n = d.length;
  const points: [number, number][] = [];
  for (const far of LEVELS) {
    const k = Math.floor(far * n); // pairs allowed at or below the threshold
    if (k < MIN_PAIRS) break;
    // Halfway between the k-th smallest (accepted) and the next (rejected).
    const t = (d[k - 1] + d[k]) / 2;
    points.unshift([round(t, 5), round(k / n, 4)]);
  }
  if (points.length < 2) throw new RangeError("buildImpostorFarCurve: too few impostor pairs");
  let tail = points.filter(([, f]) => f <= 1.0001e-3);
  if (tail.length < 2) tail = points.slice(0, 2);
  const xs = tail.map(([t]) => t), ys = tail.map(([, f]) => Math.log10(f));
  const mx = xs.reduce((a, b) => a + b) / xs.length, my = ys.reduce((a, b) => a + b) / ys.length;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return { points, tail_decades_per_unit: round(sxy / sxx, 4), impostor_pairs: n };
}

/**
 * The per-pair FAR at threshold `t`: interpolated linearly in log10(FAR) between the curve's
 * points, extrapolated along the tail below the first, and the last point's FAR above the last.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { impostorFar } from "./impostor_far_curve.ts";
 * const c = { points: [[1, 1e-4], [1.1, 1e-3]] as [number, number][], tail_decades_per_unit: 10, impostor_pairs: 1e6 };
 * assert.ok(Math.abs(impostorFar(c, 1.05) - 10 ** -3.5) < 1e-12);
 * assert.ok(Math.abs(impostorFar(c, 0.9) - 1e-5) < 1e-15);
 * ```
 */
export function impostorFar(curve: ImpostorFarCurve, t: number): number {
  const p = curve.points;
  if (t <= p[0][0]) {
    return 10 ** (Math.log10(p[0][1]) - curve.tail_decades_per_unit * (p[0][0] - t));
  }
  for (let i = 1; i < p.length; i++) {
    if (t <= p[i][0]) {
      const [t0, f0] = p[i - 1], [t1, f1] = p[i];
      const a = (t - t0) / (t1 - t0);
      return 10 ** (Math.log10(f0) + a * (Math.log10(f1) - Math.log10(f0)));
    }
  }
  return p[p.length - 1][1];
}

/**
 * The threshold at which the per-pair FAR is `far`: the inverse of {@linkcode impostorFar}
 * (a FAR above the last point gives the last point's threshold).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { impostorFarThreshold } from "./impostor_far_curve.ts";
 * const c = { points: [[1, 1e-4], [1.1, 1e-3]] as [number, number][], tail_decades_per_unit: 10, impostor_pairs: 1e6 };
 * assert.ok(Math.abs(impostorFarThreshold(c, 10 ** -3.5) - 1.05) < 1e-12);
 * assert.ok(Math.abs(impostorFarThreshold(c, 1e-6) - 0.8) < 1e-12);
 * ```
 */
export function impostorFarThreshold(curve: ImpostorFarCurve, far: number): number {
  const p = curve.points;
  const y = Math.log10(far);
  if (far <= p[0][1]) return p[0][0] - (Math.log10(p[0][1]) - y) / curve.tail_decades_per_unit;
  for (let i = 1; i < p.length; i++) {
    if (far <= p[i][1]) {
      const [t0, f0] = p[i - 1], [t1, f1] = p[i];
      const a = (y - Math.log10(f0)) / (Math.log10(f1) - Math.log10(f0));
      return t0 + a * (t1 - t0);
    }
  }
  return p[p.length - 1][0];
}
