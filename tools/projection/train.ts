/**
 * Trains the 128-d recipe's projection (v3): a linear map `W` (128 × 512) of the v2 embedding,
 * `normalize(W · x)`, initialised by PCA and trained with the project's triplet loss
 * (`tripletLossGradient`, margin 0.2) with batch-hard mining, Adam, a fixed seed. Pure maths over
 * embeddings: no I/O here (see `tools/train_projection.ts`).
 *
 * @module
 */
import { tripletLossGradient } from "../../lib/match/mod.ts";
import { prng } from "../../bench/_synthetic_gallery.ts";

/** Fisher–Yates shuffle in place with `random`. */
export function shuffle<T>(xs: T[], random: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/**
 * The top `k` eigenvectors of the uncentred second-moment matrix `XᵀX / n` of unit vectors (the
 * subspace that keeps their dot products best), by subspace iteration with Gram–Schmidt; rows of
 * the result are the eigenvectors, largest first.
 */
export function pcaBasis(xs: Float32Array[], k: number, iterations = 60, seed = 1): Float64Array {
  const d = xs[0].length;
  const c = new Float64Array(d * d);
  for (const x of xs) {
    for (let i = 0; i < d; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) c[row + j] += xi * x[j];
    }
  }
  for (let i = 0; i < c.length; i++) c[i] /= xs.length;
  const random = prng(seed);
  let q = new Float64Array(k * d).map(() => random() - 0.5);
  orthonormalise(q, k, d);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(k * d);
    for (let r = 0; r < k; r++) {
      for (let i = 0; i < d; i++) {
        let s = 0;
        const row = i * d;
        for (let j = 0; j < d; j++) s += c[row + j] * q[r * d + j];
        next[r * d + i] = s;
      }
    }
    orthonormalise(next, k, d);
    q = next;
  }
  // Order by Rayleigh quotient (subspace iteration converges to the span; sort the basis).
  const lambda = Array.from({ length: k }, (_, r) => {
    let s = 0;
    for (let i = 0; i < d; i++) {
      let ci = 0;
      for (let j = 0; j < d; j++) ci += c[i * d + j] * q[r * d + j];
      s += q[r * d + i] * ci;
    }
    return s;
  });
  const order = lambda.map((_, i) => i).sort((a, b) => lambda[b] - lambda[a]);
  const out = new Float64Array(k * d);
  order.forEach((r, i) => out.set(q.subarray(r * d, (r + 1) * d), i * d));
  return out;
}

function orthonormalise(q: Float64Array, k: number, d: number): void {
  for (let r = 0; r < k; r++) {
    const row = q.subarray(r * d, (r + 1) * d);
    for (let p = 0; p < r; p++) {
      const prev = q.subarray(p * d, (p + 1) * d);
      let dot = 0;
      for (let i = 0; i < d; i++) dot += row[i] * prev[i];
      for (let i = 0; i < d; i++) row[i] -= dot * prev[i];
    }
    let n = 0;
    for (let i = 0; i < d; i++) n += row[i] * row[i];
    n = Math.sqrt(n) || 1;
    for (let i = 0; i < d; i++) row[i] /= n;
  }
}

/** `normalize(W · x)` with the pre-normalisation length. */
export function forward(
  w: Float64Array,
  out: number,
  x: Float32Array,
): { f: Float64Array; len: number } {
  const d = x.length;
  const u = new Float64Array(out);
  let n = 0;
  for (let r = 0; r < out; r++) {
    let s = 0;
    const row = r * d;
    for (let c = 0; c < d; c++) s += w[row + c] * x[c];
    u[r] = s;
    n += s * s;
  }
  const len = Math.sqrt(n) || 1;
  for (let r = 0; r < out; r++) u[r] /= len;
  return { f: u, len };
}

/** Options of {@linkcode trainProjection}. */
export interface TrainOptions {
  /** Output dimension. Default: 128. */
  output?: number;
  /** Adam steps. Default: 1500. */
  steps?: number;
  /** Identities per batch. Default: 48. */
  identities?: number;
  /** Images per identity in a batch (at most). Default: 3. */
  perIdentity?: number;
  /** Triplet margin (squared L2 of unit vectors). Default: 0.2. */
  margin?: number;
  /** Adam learning rate. Default: 1e-3. */
  learningRate?: number;
  /** Seed of the batch sampler. Default: 7. */
  seed?: number;
  /** Called every `every` steps with the step and the weights (validation). Default: none. */
  onStep?: (step: number, w: Float64Array) => void;
  every?: number;
}

/**
 * Trains `W` from `init` on identities with ≥ 2 images (`byIdentity`), with batch-hard triplets:
 * each anchor's farthest positive and nearest negative in the batch; Adam on the mean loss.
 *
 * @returns The trained weights (row-major `output × input`) and the last mean loss.
 */
export function trainProjection(
  byIdentity: Float32Array[][],
  init: Float64Array,
  options: TrainOptions = {},
): { weights: Float64Array; loss: number } {
  const out = options.output ?? 128;
  const d = byIdentity[0][0].length;
  const steps = options.steps ?? 1500;
  const P = options.identities ?? 48, K = options.perIdentity ?? 3;
  const margin = options.margin ?? 0.2, lr = options.learningRate ?? 1e-3;
  const random = prng(options.seed ?? 7);
  const people = byIdentity.filter((xs) => xs.length >= 2);
  const w = Float64Array.from(init);
  const m = new Float64Array(w.length), v = new Float64Array(w.length);
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  let loss = 0;
  for (let step = 1; step <= steps; step++) {
    const chosen = shuffle(people.map((_, i) => i), random).slice(0, P);
    const xs: Float32Array[] = [], label: number[] = [];
    for (const id of chosen) {
      for (const x of shuffle([...people[id]], random).slice(0, K)) {
        xs.push(x);
        label.push(id);
      }
    }
    const fw = xs.map((x) => forward(w, out, x));
    const grad = new Float64Array(w.length);
    const gf = fw.map(() => new Float64Array(out));
    let total = 0;
    for (let a = 0; a < xs.length; a++) {
      let pos = -1, neg = -1, dp = -Infinity, dn = Infinity;
      for (let b = 0; b < xs.length; b++) {
        if (b === a) continue;
        let dd = 0;
        for (let r = 0; r < out; r++) dd += (fw[a].f[r] - fw[b].f[r]) ** 2;
        if (label[b] === label[a]) {
          if (dd > dp) [dp, pos] = [dd, b];
        } else if (dd < dn) [dn, neg] = [dd, b];
      }
      if (pos < 0 || neg < 0) continue;
      const g = tripletLossGradient(fw[a].f, fw[pos].f, fw[neg].f, { margin });
      total += g.loss;
      if (g.loss === 0) continue;
      for (let r = 0; r < out; r++) {
        gf[a][r] += g.anchor[r];
        gf[pos][r] += g.positive[r];
        gf[neg][r] += g.negative[r];
      }
    }
    loss = total / xs.length;
    // Back through normalize(u), u = W x: du = (g − (g·f) f) / ‖u‖; dW += du xᵀ.
    for (let i = 0; i < xs.length; i++) {
      const { f, len } = fw[i];
      let gdotf = 0;
      for (let r = 0; r < out; r++) gdotf += gf[i][r] * f[r];
      const x = xs[i];
      for (let r = 0; r < out; r++) {
        const du = (gf[i][r] - gdotf * f[r]) / len / xs.length;
        if (du === 0) continue;
        const row = r * d;
        for (let c = 0; c < d; c++) grad[row + c] += du * x[c];
      }
    }
    const c1 = 1 - b1 ** step, c2 = 1 - b2 ** step;
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * grad[i];
      v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i];
      w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
    if (options.onStep && options.every && step % options.every === 0) options.onStep(step, w);
  }
  return { weights: w, loss };
}
