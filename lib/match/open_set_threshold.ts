import { impostorFar, type ImpostorFarCurve, impostorFarThreshold } from "./impostor_far_curve.ts";

/** What {@linkcode openSetThreshold} and {@linkcode estimateFpir} know about the gallery. */
export interface OpenSetThreshold {
  /** The L2 threshold. */
  threshold: number;
  /** The per-pair FAR it stands at. */
  pairFar: number;
  /** The estimated false-positive identification rate over `faces` faces (≤ 1). */
  fpir: number;
}

/**
 * The identify threshold that keeps a stranger's chance of matching anyone in a gallery of `faces`
 * faces at most `fpir`: a stranger is falsely identified when the best of `faces` impostor
 * distances is within the threshold, and P(min ≤ t) ≤ faces · F(t) (the union bound: no
 * independence assumed), so the threshold is where the per-pair FAR is `fpir / faces`. Capped at
 * `cap` (the recipe's fixed identify default), so a small gallery is never looser than that.
 *
 * @param curve The recipe's impostor FAR curve.
 * @param input `faces` ≥ 0 (0 counts as 1); `fpir` in (0, 1); `cap` the loosest threshold allowed.
 * @throws {RangeError} When `fpir` is outside (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openSetThreshold } from "./open_set_threshold.ts";
 * const c = { points: [[1, 1e-4], [1.1, 1e-3]] as [number, number][], tail_decades_per_unit: 10, impostor_pairs: 1e6 };
 * const t = openSetThreshold(c, { faces: 1000, fpir: 0.01, cap: 1.2 });
 * assert.ok(Math.abs(t.threshold - 0.9) < 1e-9 && Math.abs(t.fpir - 0.01) < 1e-9);
 * assert.equal(openSetThreshold(c, { faces: 1, fpir: 0.01, cap: 1.05 }).threshold, 1.05);
 * ```
 */
export function openSetThreshold(
  curve: ImpostorFarCurve,
  input: { faces: number; fpir: number; cap: number },
): OpenSetThreshold {
  if (!(input.fpir > 0 && input.fpir < 1)) {
    throw new RangeError(`openSetThreshold: fpir must be in (0, 1), got ${input.fpir}`);
  }
  const faces = Math.max(1, input.faces);
  const derived = impostorFarThreshold(curve, input.fpir / faces);
  return estimateFpir(curve, { faces, threshold: Math.min(input.cap, derived) });
}

/**
 * The estimated FPIR of a threshold over `faces` faces: `min(1, faces · F(threshold))`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateFpir } from "./open_set_threshold.ts";
 * const c = { points: [[1, 1e-4], [1.1, 1e-3]] as [number, number][], tail_decades_per_unit: 10, impostor_pairs: 1e6 };
 * assert.ok(Math.abs(estimateFpir(c, { faces: 50, threshold: 1 }).fpir - 5e-3) < 1e-12);
 * ```
 */
export function estimateFpir(
  curve: ImpostorFarCurve,
  input: { faces: number; threshold: number },
): OpenSetThreshold {
  const pairFar = impostorFar(curve, input.threshold);
  return {
    threshold: input.threshold,
    pairFar,
    fpir: Math.min(1, Math.max(1, input.faces) * pairFar),
  };
}
