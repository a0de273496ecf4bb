import { thresholdAtFar } from "./threshold_at_far.ts";

/**
 * True-accept rate at the operating point where the false-accept rate is at most `far`: the `tar`
 * of {@linkcode thresholdAtFar}, the usual "TAR @ FAR = 1e-3" benchmark figure. Check
 * `thresholdAtFar(...).extrapolated` when `far` may be below `1 / negatives`.
 *
 * @param distances Distance of each pair.
 * @param same Whether each pair shows the same person.
 * @param far The largest acceptable false-accept rate, in `[0, 1]`.
 * @returns The TAR in `[0, 1]`.
 * @throws {RangeError} As {@linkcode thresholdAtFar}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tarAtFar } from "./tar_at_far.ts";
 * const distances = [0.2, 0.5, 0.7, 0.6, 0.8, 1.0, 1.2];
 * const same = [true, true, true, false, false, false, false];
 * assert.equal(tarAtFar(distances, same, 0), 2 / 3);
 * assert.equal(tarAtFar(distances, same, 0.25), 1);
 * ```
 */
export function tarAtFar(
  distances: ArrayLike<number>,
  same: ArrayLike<boolean>,
  far: number,
): number {
  return thresholdAtFar(distances, same, far).tar;
}
