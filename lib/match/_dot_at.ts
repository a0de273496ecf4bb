/**
 * Dot product of `a[aOffset .. aOffset + dim)` with `b[0 .. dim)`, accumulated in float64 with four
 * interleaved sums. Every matcher goes through this one function, so a face scores exactly the same
 * in {@linkcode searchGallery} and {@linkcode scoreSubject}.
 */
export function dotAt(
  a: ArrayLike<number>,
  aOffset: number,
  b: ArrayLike<number>,
  dim: number,
): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    const o = aOffset + j;
    s0 += a[o] * b[j];
    s1 += a[o + 1] * b[j + 1];
    s2 += a[o + 2] * b[j + 2];
    s3 += a[o + 3] * b[j + 3];
  }
  for (; j < dim; j++) s0 += a[aOffset + j] * b[j];
  return (s0 + s1) + (s2 + s3);
}
