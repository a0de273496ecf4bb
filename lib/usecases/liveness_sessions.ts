/**
 * Challenge liveness for untrusted clients (a browser, a phone): a session with a random
 * challenge, a burst of timestamped frames checked once against it, and a short-lived single-use
 * token that verify accepts for a collection whose policy requires the `challenge` mode.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import { normalize, quantizeInt8 } from "../match/mod.ts";
import {
  type BurstChecks,
  type BurstFrame,
  type BurstReason,
  type ChallengeStep,
  checkBurst,
} from "../liveness/mod.ts";
import { type StoredLivenessSession, validateLivenessSessionId } from "../store/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { analyze } from "./_analyze_probe.ts";
import { forCollection, withRecipe } from "./for_collection.ts";
import { defaultLivenessThreshold } from "./liveness_rule.ts";
import { LIVENESS_TOKEN_TTL_MS } from "./liveness_tokens.ts";
import { encodeHex } from "../encoding/mod.ts";

/** How long a session accepts its frames, ms. */
export const LIVENESS_SESSION_TTL_MS = 120_000;
/** Fewest frames of a burst (a turn needs 2, a blink 3, sharing one). */
export const MIN_BURST_FRAMES = 4;
/** Most frames of a burst. */
export const MAX_BURST_FRAMES = 12;
/** Clock skew tolerated between the client's timestamps and the server, ms. */
export const LIVENESS_CLOCK_SKEW_MS = 30_000;

/** A new session's answer. */
export interface LivenessSessionAnswer {
  /** The session id. */
  session_id: string;
  /** The value the frames must carry back. */
  nonce: string;
  /** The moves to make, in order. */
  challenge: ChallengeStep[];
  /** When the session stops accepting frames (ISO 8601). */
  expires_at: string;
}

/** The answer of {@linkcode checkLivenessFrames}. */
export type LivenessFramesAnswer =
  | {
    passed: true;
    /** The token for verify's `liveness_token` (single use). */
    liveness_token: string;
    /** When the token expires (ISO 8601). */
    expires_at: string;
    checks: BurstChecks;
  }
  | {
    passed: false;
    /** The first failed check (`no_face` when a frame shows none). */
    reason: BurstReason | "no_face";
    checks: BurstChecks | { frames: number; no_face: number[] };
  };

const randomId = (bytes: number) =>
  crypto.getRandomValues(new Uint8Array(bytes)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });

/** A random turn (left or right, ≥ 15°) and a blink, in random order. */
export function randomChallenge(): ChallengeStep[] {
  const [a, b] = crypto.getRandomValues(new Uint8Array(2));
  const turn: ChallengeStep = a & 1 ? "turn_left" : "turn_right";
  return b & 1 ? [turn, "blink"] : ["blink", turn];
}

function sessionsOf(deps: UseCaseDeps) {
  if (!deps.livenessSessions || !deps.livenessTokens) {
    throw new FaceError(
      "model_unavailable",
      "Cannot run a liveness challenge: no session store or token key is configured",
    );
  }
  if (!deps.pipeline.manifest.eye || !deps.pipeline.manifest.liveness) {
    throw new FaceError(
      "model_unavailable",
      "Cannot run a liveness challenge: the eye-state or liveness model is not installed",
    );
  }
  return { sessions: deps.livenessSessions, tokens: deps.livenessTokens };
}

/**
 * Opens a challenge session: its faces are embedded with `collection`'s recipe (default: the
 * default recipe), so its token matches that collection's faces.
 *
 * @throws {FaceError} `model_unavailable` without a session store or the models; `invalid_request`
 *   for a bad collection name; `store_unavailable`.
 */
export async function startLivenessSession(
  deps: UseCaseDeps,
  input: { collection?: string } = {},
): Promise<LivenessSessionAnswer> {
  const { sessions } = sessionsOf(deps);
  const recipe = input.collection === undefined
    ? deps
    : await forCollection(deps, input.collection);
  const now = (deps.now?.() ?? new Date()).getTime();
  const session: StoredLivenessSession = {
    id: randomId(16),
    nonce: randomId(16),
    challenge: (deps.livenessChallenge ?? randomChallenge)(),
    model: recipe.model,
    ...(input.collection === undefined ? {} : { collection: input.collection }),
    created_at: now,
    expires_at: now + LIVENESS_SESSION_TTL_MS,
  };
  await sessions.put(session, LIVENESS_SESSION_TTL_MS);
  return {
    session_id: session.id,
    nonce: session.nonce,
    challenge: session.challenge as ChallengeStep[],
    expires_at: new Date(session.expires_at).toISOString(),
  };
}

/** A burst of frames for {@linkcode checkLivenessFrames}. */
export interface LivenessFramesInput {
  /** The session id. */
  session_id: string;
  /** The session's nonce. */
  nonce: string;
  /** The encoded frames, in capture order. */
  frames: Uint8Array[];
  /** Capture time of each frame, ms since the epoch (client clock). */
  timestamps: number[];
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}

/**
 * Checks a session's burst, once: every frame is analysed (largest face: pose, eye state,
 * embedding with the session's recipe, passive score) and {@linkcode checkBurst} decides. A pass
 * stores the burst's mean face with the session for the token's lifetime and answers the token.
 *
 * @throws {FaceError} `invalid_request` for a frame count outside
 *   [{@linkcode MIN_BURST_FRAMES}, {@linkcode MAX_BURST_FRAMES}] or timestamps that do not pair
 *   with the frames; `invalid_liveness_session` for an unknown, expired or used session or a wrong
 *   nonce (one answer for all); the decoder's errors; `store_unavailable`.
 */
export async function checkLivenessFrames(
  deps: UseCaseDeps,
  input: LivenessFramesInput,
): Promise<LivenessFramesAnswer> {
  const { sessions, tokens } = sessionsOf(deps);
  const n = input.frames.length;
  if (n < MIN_BURST_FRAMES || n > MAX_BURST_FRAMES) {
    throw new FaceError(
      "invalid_request",
      `Cannot check liveness frames: send ${MIN_BURST_FRAMES} to ${MAX_BURST_FRAMES} frames, not ${n}`,
      { details: { field: "frame" } },
    );
  }
  if (input.timestamps.length !== n || !input.timestamps.every(Number.isFinite)) {
    throw new FaceError(
      "invalid_request",
      "Cannot check liveness frames: timestamps must be one number (ms since the epoch) per frame",
      { details: { field: "timestamps" } },
    );
  }
  const refused = new FaceError(
    "invalid_liveness_session",
    "Cannot use liveness session: unknown, expired or already used",
  );
  const session = await sessions.get(validateLivenessSessionId(input.session_id));
  const now = (deps.now?.() ?? new Date()).getTime();
  if (
    !session || !constantTimeEqual(session.nonce, String(input.nonce)) || now > session.expires_at
  ) {
    throw refused;
  }
  if (!(await sessions.claim(session.id, "frames", LIVENESS_SESSION_TTL_MS))) throw refused;

  const recipe = session.model === deps.model ? deps : withRecipe(deps, session.model);
  const frames: BurstFrame[] = [];
  const noFace: number[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = input.frames[i];
    const { faces } = await analyze(recipe, bytes, {
      select: "largest",
      liveness: true,
      eyes: true,
      rotate: false,
    });
    const face = faces[0];
    if (!face?.embedding || !face.eyes || !face.liveness) {
      noFace.push(i);
      continue;
    }
    frames.push({
      timestamp: input.timestamps[i],
      digest: encodeHex(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))),
      yaw: face.quality.pose.yaw,
      eyes: (face.eyes.left + face.eyes.right) / 2,
      landmarks: face.landmarks,
      embedding: face.embedding,
      liveness: face.liveness,
    });
  }
  if (noFace.length) {
    return { passed: false, reason: "no_face", checks: { frames: n, no_face: noFace } };
  }
  const eye = deps.pipeline.manifest.eye!;
  const result = checkBurst(frames, session.challenge as ChallengeStep[], {
    faceThreshold: recipe.thresholds.verify,
    livenessThreshold: defaultLivenessThreshold(deps),
    eyeOpen: eye.thresholds.open,
    eyeClosed: eye.thresholds.closed,
    notBefore: session.created_at - LIVENESS_CLOCK_SKEW_MS,
    notAfter: Math.min(now, session.expires_at) + LIVENESS_CLOCK_SKEW_MS,
  });
  if (!result.passed) return { passed: false, reason: result.reason!, checks: result.checks };

  const mean = new Float32Array(frames[0].embedding.length);
  for (const f of frames) f.embedding.forEach((v, k) => mean[k] += v);
  const q = quantizeInt8(normalize(mean));
  const passed: StoredLivenessSession = {
    ...session,
    passed: {
      embedding: new Uint8Array(q.data.buffer).toBase64(),
      scale: q.scale,
      score: result.checks.passive.score!,
      token_expires_at: now + LIVENESS_TOKEN_TTL_MS,
    },
  };
  await sessions.put(passed, LIVENESS_TOKEN_TTL_MS + 1000);
  const token = await tokens.issue(passed);
  return {
    passed: true,
    liveness_token: token.token,
    expires_at: new Date(token.expires_at).toISOString(),
    checks: result.checks,
  };
}
