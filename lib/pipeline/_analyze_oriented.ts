/**
 * One pass of the face pipeline over an image turned by a given rotation: decode (finer when a
 * face is small), detect, pick, landmarks, align, embed, with per-stage timings. The orientation
 * search over passes is {@linkcode analyzeImage}'s.
 *
 * @module
 */
import { decodeImage, type DecodeImageOptions, orientRaster, readImageSize } from "../image/mod.ts";
import type { Raster } from "../image/raster.ts";
import { FaceError } from "../errors.ts";
import type { Box } from "../detect/box.ts";
import { detectFaces } from "../detect/ultraface_detector.ts";
import { detectLandmarks, toFivePoints } from "../landmarks/landmarks.ts";
import type { Point } from "../align/estimate_similarity.ts";
import { alignedTensor, alignmentTransform } from "../align/mod.ts";
import { embedFaceWithNorm, loadProjection, projectEmbedding } from "../embed/mod.ts";
import { MODEL_MANIFEST } from "../../models/manifest.ts";
import { assessQuality } from "./assess_quality.ts";
import { scoreEyes, scoreLiveness } from "../liveness/mod.ts";
import type {
  Analysis,
  AnalyzedFace,
  AnalyzeImageOptions,
  FaceSelection,
  PipelineDeps,
  Rotation,
  StageTimings,
} from "./analyze_image.ts";

/** The EXIF orientation that turns a raster clockwise by each rotation. */
export const ROTATION_ORIENTATION = { 0: 1, 90: 6, 180: 3, 270: 8 } as const;

/** A face smaller than this (px) in a reduced decode is re-decoded finer: 2× the aligned side. */
export const MIN_WORKING_FACE = 224;

/** Power-of-two factor between the full-size image and a decoded raster (1 = full size). */
export function decodeFactor(
  full: { width: number; height: number } | undefined,
  raster: Raster,
): number {
  if (!full) return 1;
  const ratio = Math.max(full.width, full.height) / Math.max(raster.width, raster.height);
  return ratio < 1.5 ? 1 : 2 ** Math.round(Math.log2(ratio));
}

export function scaleBox(b: Box, f: number): Box {
  return { x: b.x * f, y: b.y * f, width: b.width * f, height: b.height * f };
}

export function pick(boxes: { box: Box; score: number }[], select: FaceSelection, raster: Raster) {
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

export function multiple(n: number): FaceError {
  return new FaceError("multiple_faces", `Cannot pick a face: the image shows ${n} faces`, {
    details: { faces: n },
  });
}

/** A pass's result and the embedder's raw output length per face (NaN when not embedded). */
export interface Oriented {
  analysis: Analysis;
  norms: number[];
}

/** One pass of the pipeline over the image turned clockwise by `rotation`. */
export async function analyzeOriented(
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
  const projection = embedder && p ? await loadProjection(deps.sessions, p) : undefined;
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
