/**
 * The face pipeline: decode → detect → landmarks → align → embed, with per-stage timings.
 *
 * @module
 */
import { type DecodeImageOptions } from "../image/mod.ts";
import { FaceError } from "../errors.ts";
import type { Box } from "../detect/box.ts";
import { type DetectFacesOptions } from "../detect/ultraface_detector.ts";
import { type LandmarkRefine } from "../landmarks/landmarks.ts";
import type { Point } from "../align/estimate_similarity.ts";
import type { SessionCache } from "../onnx/mod.ts";
import { type ModelManifest } from "../../models/manifest.ts";
import { type FaceQuality } from "./assess_quality.ts";
import { type EyeState, type LivenessScore } from "../liveness/mod.ts";
import { analyzeOriented, type Oriented } from "./_analyze_oriented.ts";

/** What the pipeline needs: model sessions and the manifest describing them. */
export interface PipelineDeps {
  sessions: SessionCache;
  /** Default: the committed manifest. */
  manifest?: ModelManifest;
}

/** Which detected faces go through landmarks and embedding. */
export type FaceSelection = "all" | "largest" | "center" | "primary" | "single";

/** Options for {@linkcode analyzeImage}. */
export interface AnalyzeImageOptions {
  /** Decoder limits. Default: the decoder's defaults. */
  decode?: DecodeImageOptions;
  /** Detector settings. Default: the detector's defaults. */
  detect?: DetectFacesOptions;
  /**
   * `"all"` processes every face; `"largest"` / `"center"` the largest / most central face;
   * `"primary"` the face with the largest area weighted by closeness to the centre (the subject of
   * a portrait or an LFW-style crop even when a bystander's face is bigger);
   * `"single"` refuses an image with more than one face (`multiple_faces`). Default: `"all"`.
   */
  select?: FaceSelection;
  /** Compute embeddings (false for detect-only). Default: true. */
  embed?: boolean;
  /**
   * With `select: "all"`, process at most this many faces: the largest ones, in detection order
   * (`detected` still counts every face found). Default: no limit.
   */
  maxFaces?: number;
  /** Flip test-time augmentation for embeddings. Default: the manifest embedder's `flip` (true). */
  flip?: boolean;
  /**
   * Second landmark pass on a re-centred crop: `true` always, `false` never, `"auto"` only when
   * the first pass's points are off-centre (see `detectLandmarks`). Default: true.
   */
  refineLandmarks?: LandmarkRefine;
  /** Shift above which `refineLandmarks: "auto"` runs the second pass. Default: 0.05. */
  refineShift?: number;
  /**
   * Called for each selected face with its aligned tensor (planar, normalised, before the
   * embedder) and the landmark re-centring shift; for benchmarks that compare embedders on the
   * same alignment. Default: none.
   */
  onAligned?: (aligned: Float32Array, shift: number) => void;
  /** Refuse images without a face with `no_face`. Default: false (return an empty list). */
  requireFace?: boolean;
  /**
   * Large JPEGs are decoded scaled down in the DCT domain (1/2, 1/4, 1/8) to a longer side of at
   * least this many pixels for detection, which then sees the same detail as at full size (its
   * finest tile level needs only ~640 px); a face smaller than 224 px there is re-decoded at the
   * finest needed scale before landmarks and alignment. Boxes, landmarks and quality are always
   * reported in full-size pixels. Ignored when `decode.maxDimension` is set; 0 disables.
   * Default: 960.
   */
  workingSize?: number;
  /**
   * When the upright image has no face with plausible landmarks ({@linkcode isPlausibleFace}) or
   * only faces the embedder answers weakly (raw output shorter than {@linkcode UPRIGHT_NORM}),
   * also analyse it turned by 90°, 180° and 270° and keep the orientation whose face the
   * embedder answers most strongly, if it beats the upright one by {@linkcode TURN_MARGIN}
   * (`Analysis.rotation`). Needs embeddings: with `embed: false` only a fixed rotation applies.
   * A number forces one orientation; `false` analyses the image as decoded only. Default: true.
   */
  rotate?: boolean | Rotation;
  /**
   * Also score each selected face with the manifest's passive liveness model
   * (`AnalyzedFace.liveness`), on the same decoded raster. Default: false.
   * @throws {FaceError} `model_unavailable` when the manifest has no liveness model.
   */
  liveness?: boolean;
  /**
   * Also score how open each eye of each selected face is with the manifest's eye-state model
   * (`AnalyzedFace.eyes`, crops from the 68 landmarks), for the blink of a liveness challenge.
   * Default: false.
   * @throws {FaceError} `model_unavailable` when the manifest has no eye-state model.
   */
  eyes?: boolean;
}

/** Clockwise turn, in degrees, applied to the decoded image before analysis. */
export type Rotation = 0 | 90 | 180 | 270;

/** Largest |yaw|, |pitch| and |roll| (degrees) of a face whose landmarks are taken as plausible. */
export const PLAUSIBLE_POSE_DEGREES = 45;

/** One analysed face. */
export interface AnalyzedFace {
  box: Box;
  score: number;
  /** Five points: eye centres (image-left first), nose tip, mouth corners. */
  landmarks: Point[];
  quality: FaceQuality;
  /** Unit-length embedding; absent when `embed: false`. */
  embedding?: Float32Array;
  /** The passive liveness model's judgement; present with `liveness: true`. */
  liveness?: LivenessScore;
  /** How open each eye is (the eye-state model); present with `eyes: true`. */
  eyes?: EyeState;
}

/** Milliseconds per stage. */
export interface StageTimings {
  decode: number;
  detect: number;
  landmarks: number;
  align: number;
  embed: number;
  /** Passive liveness, when asked for. */
  liveness?: number;
  /** Eye state, when asked for. */
  eyes?: number;
  total: number;
}

/** The pipeline's result for one image. */
export interface Analysis {
  width: number;
  height: number;
  faces: AnalyzedFace[];
  /** Faces found by the detector before selection. */
  detected: number;
  /**
   * Clockwise turn applied to the decoded image before analysis (0 unless the upright image had
   * no plausible face and a turned one did). `width`, `height`, boxes and landmarks are in the
   * turned image's pixels.
   */
  rotation: Rotation;
  timings: StageTimings;
  /** Landmark-model runs made for the selected faces (1 or 2 per face). */
  landmarkPasses: number;
}

/**
 * Whether a face looks upright: its detector box is at least as tall as wide (upright faces give
 * boxes about 1.2–1.6 times taller than wide, faces turned 90° wider than tall), the detector
 * score is ≥ 0.5 and the pose from the five points is within ±{@linkcode PLAUSIBLE_POSE_DEGREES}°
 * of frontal (an upside-down face gets garbage landmarks, hence an extreme pose).
 *
 * @example
 * ```ts
 * import { isPlausibleFace } from "./analyze_image.ts";
 * const quality = { score: 0.9, face_size: 100, eye_distance: 40, detector_score: 0.99,
 *   sharpness: 100, pose: { yaw: 5, pitch: -3, roll: 4 }, texture: 4 };
 * console.assert(isPlausibleFace({ box: { x: 0, y: 0, width: 100, height: 130 }, quality }));
 * console.assert(!isPlausibleFace({ box: { x: 0, y: 0, width: 130, height: 100 }, quality }));
 * ```
 */
export function isPlausibleFace(face: { box: Box; quality: FaceQuality }): boolean {
  const { detector_score, pose } = face.quality;
  const limit = PLAUSIBLE_POSE_DEGREES;
  return face.box.height >= face.box.width && detector_score >= 0.5 &&
    Math.abs(pose.yaw) <= limit && Math.abs(pose.pitch) <= limit && Math.abs(pose.roll) <= limit;
}

/**
 * Runs the whole pipeline on encoded image bytes. When the upright image yields no face with
 * plausible landmarks, the image is also tried turned by 90°, 180° and 270° (`rotate`), and the
 * orientation whose best plausible face scores highest is returned with its `rotation`.
 *
 * @throws {FaceError} `invalid_image`, `image_too_large`, `unsupported_media_type` from decoding;
 *   `no_face` when `requireFace` and nothing is found; `multiple_faces` for `select: "single"`;
 *   `model_unavailable` when a model cannot be loaded.
 */
export async function analyzeImage(
  deps: PipelineDeps,
  bytes: Uint8Array,
  options: AnalyzeImageOptions = {},
): Promise<Analysis> {
  const rotate = options.rotate ?? true;
  if (typeof rotate === "number") {
    return (await analyzeOriented(deps, bytes, options, rotate)).analysis;
  }
  const pass = { ...options, requireFace: false };
  let best = await analyzeOriented(deps, bytes, pass, 0);
  if (rotate && options.embed !== false && needsTurn(best)) {
    const t0 = performance.now();
    // A turned orientation must beat the upright one clearly: upright accuracy never changes.
    let bestScore = strongestNorm(best) * TURN_MARGIN;
    for (const rotation of [90, 180, 270] as const) {
      let turned: Oriented;
      try {
        turned = await analyzeOriented(deps, bytes, pass, rotation);
      } catch (err) {
        if (err instanceof FaceError && err.code === "multiple_faces") continue;
        throw err;
      }
      const score = strongestNorm(turned);
      if (score > bestScore) [best, bestScore] = [turned, score];
    }
    best.analysis.timings.total += performance.now() - t0;
  }
  const { analysis } = best;
  if (options.requireFace && analysis.faces.length === 0) {
    throw new FaceError(
      "no_face",
      analysis.detected > 0
        ? "Cannot find a usable face in the image: its landmarks collapsed"
        : "Cannot find a face in the image",
    );
  }
  return analysis;
}

/**
 * Upright faces make the embedder answer with a raw vector of length ≥ 2.65 on the dev LFW
 * photos (median 3.7, 5th percentile 3.0); faces turned 90° or 180° 1.7–2.6. Below this the
 * turned orientations are tried.
 */
export const UPRIGHT_NORM = 3;
/** How much longer a turned orientation's raw embedding must be to replace the upright one. */
export const TURN_MARGIN = 1.2;

function strongestNorm(o: Oriented): number {
  return Math.max(0, ...o.norms.filter((n) => Number.isFinite(n)));
}

/** True when the upright pass found no face with plausible landmarks and a long embedding. */
function needsTurn(o: Oriented): boolean {
  const plausible = o.analysis.faces.some(isPlausibleFace);
  return !plausible || strongestNorm(o) < UPRIGHT_NORM;
}
