/**
 * Face quality measures reported with every face and used by the enrolment gate.
 *
 * @module
 */
import type { Affine } from "../align/affine.ts";
import { applyAffine } from "../align/affine.ts";
import type { Point } from "../align/estimate_similarity.ts";
import type { Box } from "../detect/box.ts";
import { ALIGNED_SIZE } from "../align/mod.ts";

/** Quality of one face. */
export interface FaceQuality {
  /** Overall score in [0, 1] (product of the factors below). */
  score: number;
  /** Shorter side of the detector box, in source pixels. */
  face_size: number;
  /** Distance between the eye centres, in source pixels. */
  eye_distance: number;
  /** Detector confidence. */
  detector_score: number;
  /** Variance of the Laplacian of the aligned gray face (higher is sharper). */
  sharpness: number;
  /** Rough head pose from the five landmarks, degrees. */
  pose: { yaw: number; pitch: number; roll: number };
  /**
   * Texture contrast of the aligned face ({@linkcode textureContrast}): photos give 2–6.5 (dev
   * faces; up to 16.8 in faces-misc), drawings with flat shading and hard outlines far more (the
   * faces-misc cartoon: 30.6).
   */
  texture: number;
  /**
   * Length of the recognition network's raw output for this face, before normalisation (how
   * strongly it answers: upright human faces 2.3–5.1 on the dev photos); absent when the face was
   * not embedded (detect).
   */
  embedding_norm?: number;
}

/** Thresholds of the enrolment gate. */
export interface QualityGate {
  /** Minimum detector-box side in pixels. Default: 40. */
  minFaceSize?: number;
  /** Minimum Laplacian variance of the aligned face. Default: 20. */
  minSharpness?: number;
  /** Maximum |yaw| in degrees. Default: 45. */
  maxYaw?: number;
  /** Minimum detector score. Default: 0.8. */
  minDetectorScore?: number;
  /** Maximum {@linkcode FaceQuality.texture} (drawings, cartoons). Default: 20. */
  maxTexture?: number;
  /**
   * With {@linkcode QualityGate.unsureDetectorScore}: a face the embedder answers this weakly
   * (`embedding_norm` below it) while the detector is unsure is not taken as human. Default: 2.6.
   */
  weakNorm?: number;
  /** The detector score below which a weak embedder answer refuses the face. Default: 0.99. */
  unsureDetectorScore?: number;
}

/** The central window (eyes to chin) of the aligned face that {@linkcode textureContrast} reads. */
const TEXTURE_WINDOW = { x0: 25, x1: 87, y0: 30, y1: 100 };

/** Variance of the 4-neighbour Laplacian over the interior of a planar RGB 112×112 tensor. */
export function laplacianVariance(rgbPlanar: Float32Array, size = ALIGNED_SIZE): number {
  const plane = size * size;
  const gray = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    // luma ≈ (c0 + 2·c1 + c2) / 4 whatever the plane order, back in 0..255 units (tensor = (x − 127.5) / 128)
    gray[i] = 32 * (rgbPlanar[i] + 2 * rgbPlanar[i + plane] + rgbPlanar[i + 2 * plane]);
  }
  let sum = 0, sum2 = 0, n = 0;
  for (let y = 1; y < size - 1; y++) {
    for (let x = 1; x < size - 1; x++) {
      const i = y * size + x;
      const l = gray[i - 1] + gray[i + 1] + gray[i - size] + gray[i + size] - 4 * gray[i];
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  const m = sum / n;
  return sum2 / n - m * m;
}

/**
 * Texture contrast of an aligned face: the 90th percentile of the 4-neighbour |Laplacian| of its
 * gray levels over the central window (eyes to chin) divided by the median (at least 1 grey level).
 * A photo's skin has texture and noise everywhere, so the edges are a few times the median (2–6.5
 * on the dev faces, up to 16.8 in faces-misc); a drawing is flat shading with hard outlines, so
 * its median is tiny against its edges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textureContrast } from "./assess_quality.ts";
 * const plane = 112 * 112, drawing = new Float32Array(3 * plane), noise = drawing.slice();
 * // Flat areas with an outline every 8th column; noise everywhere.
 * for (let i = 0; i < 3 * plane; i++) if ((i % plane) % 8 === 0) drawing[i] = 0.5;
 * for (let i = 0; i < 3 * plane; i++) noise[i] = Math.sin(i * 12.9898) * 0.1;
 * assert.ok(textureContrast(drawing) > 20);
 * assert.ok(textureContrast(noise) < 5);
 * ```
 */
export function textureContrast(aligned: Float32Array, size = ALIGNED_SIZE): number {
  const plane = size * size;
  const gray = (i: number) => 32 * (aligned[i] + 2 * aligned[i + plane] + aligned[i + 2 * plane]);
  const { x0, x1, y0, y1 } = TEXTURE_WINDOW;
  const values = new Float32Array((x1 - x0) * (y1 - y0));
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = y * size + x;
      values[n++] = Math.abs(
        gray(i - 1) + gray(i + 1) + gray(i - size) + gray(i + size) - 4 * gray(i),
      );
    }
  }
  values.sort();
  return values[Math.floor(n * 0.9)] / Math.max(1, values[n >> 1]);
}

const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
const deg = (rad: number) => (rad * 180) / Math.PI;

/** Rough yaw/pitch/roll from five landmarks, using the alignment to the template. */
export function estimatePose(
  five: Point[],
  toTemplate: Affine,
  template: Point[],
): FaceQuality["pose"] {
  const roll = deg(Math.atan2(five[1][1] - five[0][1], five[1][0] - five[0][0]));
  const p = five.map(([x, y]) => applyAffine(toTemplate, x, y));
  const eyeMidX = (p[0][0] + p[1][0]) / 2, eyeDist = Math.max(1e-6, p[1][0] - p[0][0]);
  const tEyeMidX = (template[0][0] + template[1][0]) / 2;
  const tEyeDist = template[1][0] - template[0][0];
  const yawRatio = (p[2][0] - eyeMidX) / eyeDist - (template[2][0] - tEyeMidX) / tEyeDist;
  const eyeY = (p[0][1] + p[1][1]) / 2, mouthY = (p[3][1] + p[4][1]) / 2;
  const tEyeY = (template[0][1] + template[1][1]) / 2,
    tMouthY = (template[3][1] + template[4][1]) / 2;
  const pitchRatio = (p[2][1] - eyeY) / Math.max(1e-6, mouthY - eyeY) -
    (template[2][1] - tEyeY) / (tMouthY - tEyeY);
  return {
    // The nose tip sits ≈ half an eye distance in front of the eyes: offset ≈ 0.5·tan(yaw).
    yaw: deg(Math.atan(yawRatio * 2)),
    pitch: deg(Math.atan(pitchRatio * 2)),
    roll,
  };
}

/** Combines the measures into a {@linkcode FaceQuality}. */
export function assessQuality(
  box: Box,
  detectorScore: number,
  five: Point[],
  toTemplate: Affine,
  template: Point[],
  aligned: Float32Array,
): FaceQuality {
  const faceSize = Math.min(box.width, box.height);
  const eyeDistance = Math.hypot(five[1][0] - five[0][0], five[1][1] - five[0][1]);
  const sharpness = laplacianVariance(aligned);
  const texture = textureContrast(aligned);
  const pose = estimatePose(five, toTemplate, template);
  const score = clamp01((faceSize - 24) / (80 - 24)) *
    clamp01(sharpness / 60) *
    clamp01(1 - Math.abs(pose.yaw) / 70) *
    clamp01(detectorScore);
  const r = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    score: r(score, 3),
    face_size: r(faceSize, 1),
    eye_distance: r(eyeDistance, 1),
    detector_score: r(detectorScore, 4),
    sharpness: r(sharpness, 1),
    pose: { yaw: r(pose.yaw, 1), pitch: r(pose.pitch, 1), roll: r(pose.roll, 1) },
    texture: r(texture, 1),
  };
}

/**
 * The reasons a face fails the enrolment gate (empty when it passes): too small, blurred, turned,
 * a doubtful detection, or not a human face — a drawing (texture contrast) or an animal (the
 * embedder answers weakly while the detector is unsure). Calibrated so that no face of the dev
 * photos accepted by the first four checks is refused by the last two
 * (`deno run -A bench/enroll_gate.ts`).
 */
export function qualityFailures(q: FaceQuality, gate: QualityGate = {}): string[] {
  const reasons: string[] = [];
  const minSize = gate.minFaceSize ?? 40;
  if (q.face_size < minSize) reasons.push(`face is ${q.face_size}px, smaller than ${minSize}px`);
  const minSharp = gate.minSharpness ?? 20;
  if (q.sharpness < minSharp) {
    reasons.push(`face is blurred (sharpness ${q.sharpness} < ${minSharp})`);
  }
  const maxYaw = gate.maxYaw ?? 45;
  if (Math.abs(q.pose.yaw) > maxYaw) {
    reasons.push(`head is turned (yaw ${q.pose.yaw}° beyond ±${maxYaw}°)`);
  }
  const minScore = gate.minDetectorScore ?? 0.8;
  if (q.detector_score < minScore) reasons.push(`detector score ${q.detector_score} < ${minScore}`);
  const maxTexture = gate.maxTexture ?? 20;
  if (q.texture > maxTexture) {
    reasons.push(
      `not a photo of a human face: flat shading with hard outlines, as in a drawing ` +
        `(texture contrast ${q.texture} > ${maxTexture})`,
    );
  }
  const weakNorm = gate.weakNorm ?? 2.6, unsure = gate.unsureDetectorScore ?? 0.99;
  if (
    q.embedding_norm !== undefined && q.embedding_norm < weakNorm && q.detector_score < unsure
  ) {
    reasons.push(
      `not a human face: the recognition model answers weakly (embedding norm ` +
        `${q.embedding_norm} < ${weakNorm}) and the detector is unsure (score ` +
        `${q.detector_score} < ${unsure}), as for an animal`,
    );
  }
  return reasons;
}
