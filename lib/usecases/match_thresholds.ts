/**
 * The match thresholds the API applies: calibrated values from the model manifest, with fixed
 * fallbacks only for values the manifest does not carry.
 *
 * @module
 */
import type { ModelManifest } from "../../models/manifest.ts";
import type { ImpostorFarCurve } from "../match/mod.ts";

/** Used only when the manifest has no calibrated value: L2 distance on unit embeddings. */
export const FALLBACK_THRESHOLDS = { verify: 1.15, identify: 1.05 } as const;

/**
 * The open-set target of identify when a collection's policy sets none: at most 1 % of strangers
 * get a name, whatever the gallery's size (the threshold follows the face count).
 */
export const DEFAULT_IDENTIFY_FPIR = 0.01;

/** The `far` presets a request may name. */
export const FAR_PRESETS = ["1e-2", "1e-3", "1e-4"] as const;

/** One of {@linkcode FAR_PRESETS}. */
export type FarPreset = typeof FAR_PRESETS[number];

/** Thresholds in force (a pair matches when `distance <= threshold`). */
export interface MatchThresholds {
  /** 1:1 decisions (verify, compare). */
  verify: number;
  /** Open-set 1:K decisions (identify); stricter than `verify`. */
  identify: number;
  /** Calibrated thresholds at per-pair false-accept rates; only presets the manifest carries. */
  far: Partial<Record<FarPreset, number>>;
  /** Which of `verify` / `identify` came from the fallbacks (empty when fully calibrated). */
  fallbacks: ("verify" | "identify")[];
  /**
   * The recipe's per-pair impostor FAR curve, when calibrated: identify's threshold then follows
   * the gallery's face count for a target FPIR (and `identify` is its loosest value).
   */
  impostorFar?: ImpostorFarCurve;
}

const valid = (t: unknown): t is number => typeof t === "number" && t > 0 && t <= 2;

/**
 * Reads the thresholds of the manifest's embedder, falling back per value to
 * {@linkcode FALLBACK_THRESHOLDS} when a value is missing or outside `(0, 2]`.
 *
 * @param manifest The model manifest.
 * @returns The thresholds to apply.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODEL_MANIFEST } from "../../models/manifest.ts";
 * import { matchThresholds } from "./match_thresholds.ts";
 * const manifest = {
 *   ...MODEL_MANIFEST,
 *   embedder: { ...MODEL_MANIFEST.embedder, thresholds: { verify: 1.1, far: { "1e-3": 0.9 } } },
 * };
 * const t = matchThresholds(manifest);
 * assert.deepEqual([t.verify, t.identify, t.far, t.fallbacks], [1.1, 1.05, { "1e-3": 0.9 }, ["identify"]]);
 * ```
 */
export function matchThresholds(manifest: ModelManifest): MatchThresholds {
  const source = manifest.embedder.thresholds ?? {};
  const fallbacks: MatchThresholds["fallbacks"] = [];
  const pick = (name: "verify" | "identify") => {
    if (valid(source[name])) return source[name];
    fallbacks.push(name);
    return FALLBACK_THRESHOLDS[name];
  };
  const far: MatchThresholds["far"] = {};
  for (const preset of FAR_PRESETS) {
    const t = source.far?.[preset];
    if (valid(t)) far[preset] = t;
  }
  const curve = source.impostor_far;
  const impostorFar = curve && curve.points?.length >= 2 && curve.tail_decades_per_unit > 0
    ? curve
    : undefined;
  return {
    verify: pick("verify"),
    identify: pick("identify"),
    far,
    fallbacks,
    ...(impostorFar ? { impostorFar } : {}),
  };
}
