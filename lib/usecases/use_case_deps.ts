/**
 * What every use case runs on. The entry points build it once per isolate (the app from its
 * `AppDeps`, the CLIs' local mode through the same app deps) and pass it to each call.
 *
 * @module
 */
import type { PipelineDeps } from "../pipeline/mod.ts";
import type {
  AuditStore,
  FaceStore,
  IdempotencyStore,
  LivenessSessionStore,
  PolicyStore,
  StoredLivenessSession,
} from "../store/mod.ts";
import type { ChallengeStep } from "../liveness/mod.ts";
import type { GalleryCache, MatchStrategy } from "../match/mod.ts";
import type { MatchThresholds } from "./match_thresholds.ts";
import type { BackgroundPurge } from "./background_purge.ts";

/** Injected dependencies of the use cases. */
export interface UseCaseDeps {
  /** Model sessions and the manifest in force. */
  pipeline: Required<PipelineDeps>;
  /** Where enrolled faces live. */
  store: FaceStore;
  /** The embedder id: scopes every collection and is reported in match answers. */
  model: string;
  /** Match thresholds from the manifest (with fallbacks). */
  thresholds: MatchThresholds;
  /** How a subject with several faces is scored (`Config.matchStrategy`). */
  matchStrategy: MatchStrategy;
  /** Per-isolate gallery indexes, validated by the store's gallery version. */
  galleries: GalleryCache;
  /** Each collection's match policy. Default: none (the manifest's thresholds everywhere). */
  policies?: PolicyStore;
  /**
   * The remembered answers of idempotent requests (`Idempotency-Key`, webhook deliveries): the
   * deletes erase those naming what they delete. Default: none.
   */
  idempotency?: IdempotencyStore;
  /**
   * Receives audit events (enroll, delete, policy change, loosened decision): no embeddings, no
   * images. Default: none.
   */
  audit?: (event: AuditEvent) => void | Promise<void>;
  /** Where the audit sink keeps each collection's events, for `listAudit`. Default: none. */
  audits?: AuditStore;
  /**
   * The clock of retention and subject expiry (which faces may still match, what a purge
   * deletes). Default: `() => new Date()`.
   */
  now?: () => Date;
  /**
   * Purges a collection's expired faces in the background when a match request finds some (at
   * most once per collection per interval, per isolate; see `BackgroundPurge`). Default: none.
   */
  backgroundPurge?: BackgroundPurge;
  /**
   * Redeems the tokens of passed liveness challenges (single use), for collections whose policy
   * requires the `challenge` mode. Default: none (such a collection refuses every verify with
   * `liveness_required`).
   */
  livenessTokens?: LivenessTokens;
  /**
   * Where liveness challenge sessions live (`POST /v1/liveness/sessions`). Default: none (the
   * challenge routes answer `model_unavailable`).
   */
  livenessSessions?: LivenessSessionStore;
  /**
   * Draws a new session's challenge. Default: a random turn (left or right) and a blink, in random
   * order (tests inject fixed ones).
   */
  livenessChallenge?: () => ChallengeStep[];
  /**
   * Decoder limits: `maxBytes` of an encoded image, `maxPixels` and `maxDecodedBytes` decoded
   * (undefined: the decoder's defaults).
   */
  limits: {
    maxBytes: number;
    maxPixels: number | undefined;
    maxDecodedBytes?: number | undefined;
  };
}

/** What a redeemed liveness token vouches for. */
export interface RedeemedLiveness {
  /** The challenge session the token was issued for. */
  session_id: string;
  /** The unit embedding of the face that passed the challenge (the session's recipe). */
  embedding: Float32Array;
  /** The recipe (model id) of `embedding`. */
  model: string;
  /** The lowest passive bona fide score over the session's frames. */
  score: number;
}

/** Redeems liveness tokens: each verifies once, within its lifetime. */
export interface LivenessTokens {
  /** Signs a token for a session whose burst passed (`session.passed` set). */
  issue(session: StoredLivenessSession): Promise<{ token: string; expires_at: number }>;
  /**
   * Checks a token's signature, lifetime and single use, and consumes it.
   *
   * @throws {FaceError} `invalid_liveness_token` for a forged, expired, foreign or used token;
   *   `store_unavailable`.
   */
  redeem(token: string): Promise<RedeemedLiveness>;
}

/** One audit event (the sink adds the time). */
export interface AuditEvent {
  /** What happened, e.g. `enroll`, `delete_subject`, `policy_set`, `decision_loosened`. */
  action: string;
  /** The API key id (not secret), when there is one. */
  key_id?: string;
  /** The request id, when there is one. */
  request_id?: string;
  /** The collection, when there is one. */
  collection?: string;
  /** Other fields of the event (subject, face id, thresholds...). */
  [field: string]: unknown;
}
