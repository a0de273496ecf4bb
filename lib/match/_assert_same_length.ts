/**
 * Throws a `RangeError` unless two vectors have the same length.
 *
 * @param a First vector.
 * @param b Second vector.
 * @param action What could not be done, e.g. `"compute L2 distance"`.
 */
export function assertSameLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  action: string,
): void {
  if (a.length !== b.length) {
    throw new RangeError(`Cannot ${action}: dimensions differ (${a.length} vs ${b.length})`);
  }
}
