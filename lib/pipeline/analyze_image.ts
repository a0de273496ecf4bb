/**
 * The face pipeline: decode → detect → landmarks → align → embed, with per-stage timings.
 *
 * @module
 */
import { decodeImage, type DecodeImageOptions, orientRaster, readImageSize } from "../image/mod.ts";
import type { Raster } from "../image/raster.ts";
import { FaceError } from "../errors.ts";
import type { Box } from "../detect/box.ts";
import { detectFaces, type DetectFacesOptions } from "../detect/ultraface_detector.ts";
import { detectLandmarks, type LandmarkRefine, toFivePoints } from "../landmarks/landmarks.ts";
import type { Point } from "../align/estimate_similarity.ts";
import { alignedTensor, alignmentTransform } from "../align/mod.ts";
import { embedFaceWithNorm, parseProjection, projectEmbedding } from "../embed/mod.ts";
import type { SessionCache } from "../onnx/mod.ts";
import { MODEL_MANIFEST, type ModelManifest } from "../../models/manifest.ts";
import { assessQuality, type FaceQuality } from "./assess_quality.ts";
import { type EyeState, type LivenessScore, scoreEyes, scoreLiveness } from "../liveness/mod.ts";

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

/** The EXIF orientation that turns a raster clockwise by each rotation. */
const ROTATION_ORIENTATION = { 0: 1, 90: 6, 180: 3, 270: 8 } as const;

/** Largest |yaw|, |pitch| and |roll| (degrees) of a face whose landmarks are taken as plausible. */
export const PLAUSIBLE_POSE_DEGREES = 45;

/** A face smaller than this (px) in a reduced decode is re-decoded finer: 2× the aligned side. */
const MIN_WORKING_FACE = 224;

/** Power-of-two factor between the full-size image and a decoded raster (1 = full size). */
function decodeFactor(full: { width: number; height: number } | undefined, raster: Raster): number {
  if (!full) return 1;
  const ratio = Math.max(full.width, full.height) / Math.max(raster.width, raster.height);
  return ratio < 1.5 ? 1 : 2 ** Math.round(Math.log2(ratio));
}

function scaleBox(b: Box, f: number): Box {
  return { x: b.x * f, y: b.y * f, width: b.width * f, height: b.height * f };
}

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

function pick(boxes: { box: Box; score: number }[], select: FaceSelection, raster: Raster) {
  if (select === "all" || boxes.length <= 1) {
    if (select === "single" && boxes.length > 1) throw multiple(boxes.length);
    return boxes;
  }
  if (select === "single") throw multiple(boxes.length);
  const area = (b: Box) => b.width * b.height;
  if (select === "largest") return [boxes.reduce((a, b) => (area(b.box) > area(a.box) ? b : a))];
  const cx = raster.width / 2, cy = raster.height / 2;
  const dist = (b: Box) => Math.hypot(b.x + b.width / 2 - cx, b.y + b.height / 2 - cy);
  if (select === "center") return [boxes.reduce((a, b) => (dist(b.box) < dist(a.box) ? b : a))];
  // primary: area weighted by a Gaussian of the distance to the centre (σ = 0.35 × diagonal).
  const sigma = 0.35 * Math.hypot(raster.width, raster.height);
  const weight = (b: Box) => area(b) * Math.exp(-((dist(b) / sigma) ** 2));
  return [boxes.reduce((a, b) => (weight(b.box) > weight(a.box) ? b : a))];
}

function multiple(n: number): FaceError {
  return new FaceError("multiple_faces", `Cannot pick a face: the image shows ${n} faces`, {
    details: { faces: n },
  });
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

/** A pass's result and the embedder's raw output length per face (NaN when not embedded). */
interface Oriented {
  analysis: Analysis;
  norms: number[];
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

/** One pass of the pipeline over the image turned clockwise by `rotation`. */
async function analyzeOriented(
  deps: PipelineDeps,
  bytes: Uint8Array,
  options: AnalyzeImageOptions,
  rotation: Rotation,
): Promise<Oriented> {
  const manifest = deps.manifest ?? MODEL_MANIFEST;
  const t: StageTimings = { decode: 0, detect: 0, landmarks: 0, align: 0, embed: 0, total: 0 };
  const t0 = performance.now();
  const working = options.workingSize ?? 960;
  // The full size, unless the caller scales: the decode budget may scale a JPEG down anyway.
  const stored = options.decode?.maxDimension === undefined ? readImageSize(bytes) : undefined;
  const swap = rotation === 90 || rotation === 270;
  const full = stored && swap ? { width: stored.height, height: stored.width } : stored;
  const decode = async (opts: DecodeImageOptions | undefined) => {
    const r = await decodeImage(bytes, opts);
    return rotation === 0 ? r : orientRaster(r, ROTATION_ORIENTATION[rotation]);
  };
  const reduce = working > 0 && full !== undefined &&
    Math.max(full.width, full.height) >= 2 * working;
  let raster = await decode(reduce ? { ...options.decode, maxDimension: working } : options.decode);
  // Also when not reduced on purpose: a JPEG over the decode budget comes back scaled down.
  const detectFactor = decodeFactor(full, raster);
  const t1 = performance.now();
  t.decode = t1 - t0;

  // Start loading the embedder now so a cold isolate reads all three models at once.
  const embedderLoad = options.embed === false ? null : deps.sessions.get(manifest.embedder);
  const [detector, landmarker] = await Promise.all([
    deps.sessions.get(manifest.detector),
    deps.sessions.get(manifest.landmarks),
  ]);
  const select = options.select ?? "all";
  const found = await detectFaces(detector, raster, {
    channels: manifest.detector.input.channels === "BGR" ? "bgr" : "rgb",
    tilesOnlyWhenEmpty: select === "largest" || select === "primary",
    ...options.detect,
  });
  const t2 = performance.now();
  t.detect = t2 - t1;
  if (found.length === 0 && options.requireFace) {
    throw new FaceError("no_face", "Cannot find a face in the image");
  }
  let chosen = pick(found, select, raster);
  if (options.maxFaces !== undefined && chosen.length > options.maxFaces) {
    const area = (d: { box: Box }) => d.box.width * d.box.height;
    const kept = new Set([...chosen].sort((a, b) => area(b) - area(a)).slice(0, options.maxFaces));
    chosen = chosen.filter((d) => kept.has(d));
  }
  // Landmarks and alignment need the face at ≥ MIN_WORKING_FACE px: decode finer when it is not.
  let factor = detectFactor;
  if (factor > 1 && chosen.length > 0) {
    const side = Math.min(...chosen.map((d) => Math.min(d.box.width, d.box.height)));
    let want = factor;
    while (want > 1 && (side * factor) / want < MIN_WORKING_FACE) want /= 2;
    if (want < factor) {
      const s = performance.now();
      raster = await decode({
        ...options.decode,
        maxDimension: Math.ceil(Math.max(full!.width, full!.height) / want),
      });
      const f = decodeFactor(full, raster);
      chosen = chosen.map((d) => ({ ...d, box: scaleBox(d.box, factor / f) }));
      factor = f;
      t.decode += performance.now() - s;
    }
  }
  const embedder = await embedderLoad;
  const p = manifest.embedder.projection;
  const projection = embedder && p
    ? await deps.sessions.data(
      { id: `${manifest.recipe ?? manifest.embedder.id}:projection`, file: p.file },
      (bytes) => parseProjection(bytes, p.input, p.output),
    )
    : undefined;
  const livenessEntry = options.liveness ? manifest.liveness : undefined;
  if (options.liveness && !livenessEntry) {
    throw new FaceError(
      "model_unavailable",
      "Cannot judge liveness: the manifest has no liveness model",
    );
  }
  const liveness = livenessEntry ? await deps.sessions.get(livenessEntry) : undefined;
  const eyeEntry = options.eyes ? manifest.eye : undefined;
  if (options.eyes && !eyeEntry) {
    throw new FaceError(
      "model_unavailable",
      "Cannot judge the eyes: the manifest has no eye-state model",
    );
  }
  const eyeModel = eyeEntry ? await deps.sessions.get(eyeEntry) : undefined;
  const template = manifest.embedder.template;
  const embedderChannels = manifest.embedder.input.channels === "RGB" ? "rgb" : "bgr";

  const faces: AnalyzedFace[] = [];
  let landmarkPasses = 0;
  const norms: number[] = [];
  for (const det of chosen) {
    let s = performance.now();
    let shift = NaN;
    const points68 = await detectLandmarks(landmarker, raster, det.box, {
      refine: options.refineLandmarks ?? true,
      refineShift: options.refineShift,
      onPasses: (n, sh) => {
        landmarkPasses += n;
        shift = sh;
      },
    });
    const five = toFivePoints(points68);
    t.landmarks += performance.now() - s;
    s = performance.now();
    let transform;
    try {
      transform = alignmentTransform(five, template);
    } catch (err) {
      // Collapsed landmarks (not a usable face): skip it rather than fail the request.
      if (err instanceof RangeError) continue;
      throw err;
    }
    const aligned = alignedTensor(raster, transform, { channels: embedderChannels });
    options.onAligned?.(aligned, shift);
    // Report in full-size pixels (a no-op when the raster is full size).
    const box = factor === 1 ? det.box : scaleBox(det.box, factor);
    const points = factor === 1 ? five : five.map(([x, y]): Point => [x * factor, y * factor]);
    const quality = assessQuality(
      box,
      det.score,
      points,
      factor === 1 ? transform : alignmentTransform(points, template),
      template,
      aligned,
    );
    t.align += performance.now() - s;
    const face: AnalyzedFace = { box, score: det.score, landmarks: points, quality };
    if (liveness && livenessEntry) {
      s = performance.now();
      face.liveness = await scoreLiveness(liveness, raster, det.box, livenessEntry);
      t.liveness = (t.liveness ?? 0) + performance.now() - s;
    }
    if (eyeModel && eyeEntry) {
      s = performance.now();
      face.eyes = await scoreEyes(eyeModel, raster, points68, eyeEntry);
      t.eyes = (t.eyes ?? 0) + performance.now() - s;
    }
    if (embedder) {
      s = performance.now();
      const embedded = await embedFaceWithNorm(embedder, aligned, {
        flip: options.flip ?? manifest.embedder.flip ?? true,
      });
      face.embedding = projection
        ? projectEmbedding(embedded.embedding, projection)
        : embedded.embedding;
      face.quality.embedding_norm = Math.round(embedded.norm * 1000) / 1000;
      norms.push(embedded.norm);
      t.embed += performance.now() - s;
    } else {
      norms.push(NaN);
    }
    faces.push(face);
  }
  if (faces.length === 0 && found.length > 0 && options.requireFace) {
    throw new FaceError(
      "no_face",
      "Cannot find a usable face in the image: its landmarks collapsed",
    );
  }
  t.total = performance.now() - t0;
  const size = factor === 1 ? raster : full!;
  return {
    analysis: {
      width: size.width,
      height: size.height,
      faces,
      detected: found.length,
      rotation,
      timings: t,
      landmarkPasses,
    },
    norms,
  };
}
