/**
 * Seeded randomness for the matching tests (no I/O, reproducible failures).
 *
 * @module
 */

/** A mulberry32 generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` random unit vectors of length `dim`, packed row after row. */
export function randomUnitVectors(n: number, dim: number, random: () => number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0, off = 0; i < n; i++, off += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) {
      const x = random() * 2 - 1;
      out[off + j] = x;
      sum += x * x;
    }
    const norm = Math.sqrt(sum);
    for (let j = 0; j < dim; j++) out[off + j] /= norm;
  }
  return out;
}
