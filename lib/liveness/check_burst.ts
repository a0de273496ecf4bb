/**
 * The checks of a liveness challenge over a burst of analysed frames: timing, no copies, movement,
 * one person throughout, the challenge's moves in order, and the passive score. Pure: the frames
 * arrive analysed (pose, eye state, embedding, passive score).
 *
 * @module
 */
import type { Point } from "../align/mod.ts";
import type { LivenessScore } from "./score_liveness.ts";

/** One move of a challenge. */
export type ChallengeStep = "turn_left" | "turn_right" | "blink";

/** One analysed frame of a burst. */
export interface BurstFrame {
  /** When the client captured it (ms since the epoch, client clock). */
  timestamp: number;
  /** Hex SHA-256 of the encoded bytes (byte-identical copies are refused). */
  digest: string;
  /**
   * Yaw in degrees from the five points: positive when the nose points to the image's right, i.e.
   * the person turned to their own left in an unmirrored camera frame.
   */
  yaw: number;
  /** Mean probability that the eyes are open (eye-state model), 0..1. */
  eyes: number;
  /** The five points (px). */
  landmarks: Point[];
  /** Unit embedding. */
  embedding: Float32Array;
  /** The passive model's judgement. */
  liveness: LivenessScore;
}

/** Thresholds of {@linkcode checkBurst}. */
export interface BurstRules {
  /** Largest L2 distance between any two frames' embeddings (the recipe's verify threshold). */
  faceThreshold: number;
  /** Passive bona fide threshold (the manifest's). */
  livenessThreshold: number;
  /** Mean eye-open probability at or above which the eyes are open (the manifest's). */
  eyeOpen: number;
  /** At or below which they are shut (the manifest's). */
  eyeClosed: number;
  /** Yaw a turn must reach, degrees. Default: 15. */
  turnDegrees?: number;
  /** |yaw| below which a face looks straight at the camera, degrees. Default: 10. */
  frontalDegrees?: number;
  /**
   * Least movement of the landmarks across the burst (largest point displacement from the first
   * frame, in eye distances) below which the frames are static. Default: 0.02.
   */
  minMotion?: number;
  /** Shortest time from the first to the last frame, ms. Default: 300. */
  minSpanMs?: number;
  /** Earliest allowed timestamp (the session's start less clock skew), ms. */
  notBefore: number;
  /** Latest allowed timestamp (now plus clock skew), ms. */
  notAfter: number;
}

/** Why a burst failed. */
export type BurstReason =
  | "bad_timestamps"
  | "duplicate_frames"
  | "static_frames"
  | "different_faces"
  | "wrong_turn"
  | "turn_not_seen"
  | "blink_not_seen"
  | "insufficient_context"
  | "not_live";

/** What each check found. */
export interface BurstChecks {
  /** Frames checked. */
  frames: number;
  /** Increasing, within the session, spanning at least the minimum. */
  timestamps: boolean;
  /** No two frames have identical bytes. */
  distinct: boolean;
  /** Largest landmark movement from the first frame, in eye distances. */
  motion: number;
  /** Largest embedding distance between two frames, and whether it is within the threshold. */
  same_face: { passed: boolean; max_distance: number; threshold: number };
  /** Each step and the frames (indexes) that showed it, empty when not seen. */
  challenge: { step: ChallengeStep; frames: number[] }[];
  /** Yaw per frame (degrees, rounded). */
  yaw: number[];
  /** Eye-open probability per frame (rounded). */
  eyes: number[];
  /** Lowest passive score over the judged frames (null when none could be judged). */
  passive: { score: number | null; judged: number; threshold: number };
}

/** The verdict of {@linkcode checkBurst}. */
export interface BurstResult {
  /** Whether every check passed. */
  passed: boolean;
  /** The first failed check, in the order of {@linkcode BurstReason}; absent when passed. */
  reason?: BurstReason;
  /** What each check found. */
  checks: BurstChecks;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function distance(a: Float32Array, b: Float32Array): number {
  let d2 = 0;
  for (let i = 0; i < a.length; i++) d2 += (a[i] - b[i]) ** 2;
  return Math.sqrt(d2);
}

/** Finds the challenge's steps in frame order; a step starts where the previous one ended. */
function walk(
  frames: BurstFrame[],
  challenge: ChallengeStep[],
  rules: BurstRules,
): { seen: { step: ChallengeStep; frames: number[] }[]; failed?: BurstReason } {
  const turn = rules.turnDegrees ?? 15, frontal = rules.frontalDegrees ?? 10;
  const seen: { step: ChallengeStep; frames: number[] }[] = [];
  let at = 0, failed: BurstReason | undefined;
  const find = (from: number, ok: (f: BurstFrame) => boolean) => {
    for (let i = from; i < frames.length; i++) if (ok(frames[i])) return i;
    return -1;
  };
  for (const step of challenge) {
    let found: number[] = [];
    if (failed === undefined) {
      if (step === "blink") {
        const a = find(at, (f) => f.eyes >= rules.eyeOpen);
        const b = a < 0 ? -1 : find(a + 1, (f) => f.eyes <= rules.eyeClosed);
        const c = b < 0 ? -1 : find(b + 1, (f) => f.eyes >= rules.eyeOpen);
        if (c >= 0) found = [a, b, c];
        else failed = "blink_not_seen";
      } else {
        const dir = step === "turn_left" ? 1 : -1;
        if (frames.some((f) => -dir * f.yaw >= turn)) failed = "wrong_turn";
        const a = find(at, (f) => Math.abs(f.yaw) < frontal);
        const b = a < 0 ? -1 : find(a + 1, (f) => dir * f.yaw >= turn);
        if (failed === undefined && b >= 0) found = [a, b];
        else failed ??= "turn_not_seen";
      }
      if (found.length) at = found[found.length - 1];
    }
    seen.push({ step, frames: found });
  }
  return { seen, failed };
}

/**
 * Checks a burst against its challenge. The first failing check gives the reason, in this order:
 * timestamps (strictly increasing, inside `[notBefore, notAfter]`, spanning `minSpanMs`), no
 * byte-identical frames, landmark movement of at least `minMotion`, every pair of embeddings within
 * `faceThreshold`, the challenge's steps in order (a turn: a frontal frame, then one turned ≥
 * `turnDegrees` the asked way, and no frame turned that far the other way; a blink: eyes open,
 * shut, open), then the passive score: the lowest over the frames the model could judge must reach
 * `livenessThreshold` and at least one frame must be judged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type BurstFrame, checkBurst } from "./check_burst.ts";
 * const frame = (t: number, yaw: number, eyes: number, x: number): BurstFrame => ({
 *   timestamp: t, digest: String(t), yaw, eyes,
 *   landmarks: [[x, 0], [x + 10, 0], [x + 5, 5], [x + 1, 9], [x + 9, 9]],
 *   embedding: new Float32Array([1, 0]),
 *   liveness: { score: 0.9, context: 2.7, judged: true },
 * });
 * const rules = { faceThreshold: 1, livenessThreshold: 0.5, eyeOpen: 0.6, eyeClosed: 0.2,
 *   notBefore: 0, notAfter: 10_000 };
 * const burst = [frame(0, 0, 1, 0), frame(200, 20, 1, 1), frame(400, 5, 0, 2), frame(600, 0, 1, 3)];
 * assert.equal(checkBurst(burst, ["turn_left", "blink"], rules).passed, true);
 * assert.equal(checkBurst(burst, ["turn_right", "blink"], rules).reason, "wrong_turn");
 * ```
 */
export function checkBurst(
  frames: BurstFrame[],
  challenge: ChallengeStep[],
  rules: BurstRules,
): BurstResult {
  const n = frames.length;
  let timestamps = n > 0;
  for (let i = 0; i < n; i++) {
    const t = frames[i].timestamp;
    if (!Number.isFinite(t) || t < rules.notBefore || t > rules.notAfter) timestamps = false;
    if (i > 0 && !(t > frames[i - 1].timestamp)) timestamps = false;
  }
  if (n > 0 && frames[n - 1].timestamp - frames[0].timestamp < (rules.minSpanMs ?? 300)) {
    timestamps = false;
  }
  const distinct = new Set(frames.map((f) => f.digest)).size === n;
  let motion = 0;
  if (n > 0) {
    const p0 = frames[0].landmarks;
    const eyeDist = Math.max(1e-6, Math.hypot(p0[1][0] - p0[0][0], p0[1][1] - p0[0][1]));
    for (const f of frames) {
      f.landmarks.forEach(([x, y], k) => {
        motion = Math.max(motion, Math.hypot(x - p0[k][0], y - p0[k][1]) / eyeDist);
      });
    }
  }
  let maxDistance = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      maxDistance = Math.max(maxDistance, distance(frames[i].embedding, frames[j].embedding));
    }
  }
  const { seen, failed } = walk(frames, challenge, rules);
  const judged = frames.filter((f) => f.liveness.judged);
  const minScore = judged.length ? Math.min(...judged.map((f) => f.liveness.score)) : null;
  const checks: BurstChecks = {
    frames: n,
    timestamps,
    distinct,
    motion: Math.round(motion * 1e4) / 1e4,
    same_face: {
      passed: maxDistance <= rules.faceThreshold,
      max_distance: Math.round(maxDistance * 1e4) / 1e4,
      threshold: rules.faceThreshold,
    },
    challenge: seen,
    yaw: frames.map((f) => Math.round(f.yaw * 10) / 10),
    eyes: frames.map((f) => r2(f.eyes)),
    passive: {
      score: minScore === null ? null : Math.round(minScore * 1e4) / 1e4,
      judged: judged.length,
      threshold: rules.livenessThreshold,
    },
  };
  const reason: BurstReason | undefined = !timestamps
    ? "bad_timestamps"
    : !distinct
    ? "duplicate_frames"
    : motion < (rules.minMotion ?? 0.02)
    ? "static_frames"
    : !checks.same_face.passed
    ? "different_faces"
    : failed !== undefined
    ? failed
    : minScore === null
    ? "insufficient_context"
    : minScore < rules.livenessThreshold
    ? "not_live"
    : undefined;
  return reason === undefined ? { passed: true, checks } : { passed: false, reason, checks };
}
