/**
 * The threshold grid shared by the calibration functions.
 *
 * With the distinct distances sorted `d_1 < … < d_m`, the candidate thresholds are
 * `c_0 < c_1 < … < c_m`: `c_i = (d_i + d_{i+1}) / 2` for `0 < i < m` (the midpoints), and the two
 * outer candidates mirror the nearest midpoint, `c_0 = d_1 − (d_2 − d_1)/2` (rejects every pair) and
 * `c_m = d_m + (d_m − d_{m−1})/2` (accepts every pair); with a single distinct distance they are
 * `d_1 ∓ 0.5`. Candidate `c_i` stands for every threshold in `[d_i, d_{i+1})`: a pair matches when
 * `distance <= threshold`, so all of them classify the data identically.
 */
export interface PairGrid {
  /** Sorted distinct distances `d_1 … d_m` (0-based: `values[i − 1] = d_i`). */
  values: Float64Array;
  /** Candidate thresholds `c_0 … c_m` (length `m + 1`). */
  candidates: Float64Array;
  /** `pos[i]`: same-person pairs with `distance <= c_i`. */
  pos: Int32Array;
  /** `neg[i]`: different-person pairs with `distance <= c_i`. */
  neg: Int32Array;
  /** Number of same-person pairs. */
  positives: number;
  /** Number of different-person pairs. */
  negatives: number;
}

/**
 * Validates labelled pairs and builds their {@linkcode PairGrid}.
 *
 * @param bothLabels When true, also require at least one pair of each label.
 * @throws {RangeError} When the inputs are empty, differ in length, a distance is not finite, or
 * (with `bothLabels`) one label is missing.
 */
export function buildPairGrid(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  action: string,
  bothLabels = false,
): PairGrid {
  const n = distances.length;
  if (n !== same.length) {
    throw new RangeError(`Cannot ${action}: ${n} distances but ${same.length} labels`);
  }
  if (n === 0) throw new RangeError(`Cannot ${action}: no labelled pairs`);
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(distances[i])) {
      throw new RangeError(`Cannot ${action}: distance ${i} is ${distances[i]}`);
    }
    order[i] = i;
  }
  order.sort((i, j) => distances[i] - distances[j]);

  const values: number[] = [];
  const pos: number[] = [0];
  const neg: number[] = [0];
  let p = 0, q = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (same[i]) p++;
    else q++;
    if (r === n - 1 || distances[order[r + 1]] !== distances[i]) {
      values.push(distances[i]);
      pos.push(p);
      neg.push(q);
    }
  }
  const m = values.length;
  const candidates = new Float64Array(m + 1);
  for (let i = 1; i < m; i++) {
    candidates[i] = values[i - 1] + (values[i] - values[i - 1]) / 2;
  }
  const lowGap = m > 1 ? (values[1] - values[0]) / 2 : 0.5;
  const highGap = m > 1 ? (values[m - 1] - values[m - 2]) / 2 : 0.5;
  candidates[0] = values[0] - lowGap;
  candidates[m] = values[m - 1] + highGap;
  if (bothLabels && (p === 0 || q === 0)) {
    throw new RangeError(
      `Cannot ${action}: needs same-person and different-person pairs, got ${p} and ${q}`,
    );
  }
  return {
    values: Float64Array.from(values),
    candidates,
    pos: Int32Array.from(pos),
    neg: Int32Array.from(neg),
    positives: p,
    negatives: q,
  };
}
