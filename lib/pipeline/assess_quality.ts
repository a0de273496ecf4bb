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
}

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
  };
}

/** The reasons a face fails the enrolment gate (empty when it passes). */
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
  return reasons;
}
