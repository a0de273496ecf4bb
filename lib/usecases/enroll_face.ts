/**
 * Enroll: adds the face of an image to a subject (created on first use).
 *
 * The quality gate always applies: there is deliberately no `force` flag, since a blurred, tiny
 * or turned face raises false matches for every later probe. Images with several faces are
 * refused unless `face` is `largest`, `center` or `primary`.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import {
  type FaceQuality,
  type FaceSelection,
  qualityFailures,
  type Rotation,
} from "../pipeline/mod.ts";
import { validateName } from "../store/mod.ts";
import { forCollection } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { embedProbe, rotationField } from "./_analyze_probe.ts";
import { readPolicy } from "./match_policy.ts";
import { type Caller } from "./decide_threshold.ts";
import { type LivenessRequest, livenessRule, passiveVerdict } from "./liveness_rule.ts";
import { parseExpiry } from "./retention.ts";
import { sha256Hex } from "../encoding/mod.ts";

/** What to enroll. */
export interface EnrollFaceInput extends Pick<LivenessRequest, "liveness"> {
  /** Collection name. */
  collection: string;
  /** Subject name. */
  subject: string;
  /** The encoded image. */
  image: Uint8Array;
  /** Which face: `single`, `largest`, `center`, `primary`. Default: `"single"`. */
  face?: FaceSelection;
  /** Stored with the face: a JSON object of at most 8 KiB (checked by the store). */
  metadata?: unknown;
  /**
   * The face id, for idempotent retries: when the subject already has it, nothing is written and
   * that face is answered. Default: derived from `idempotencyKey` when given, else a new id.
   */
  faceId?: string;
  /**
   * The caller's key for this write (an `Idempotency-Key`, a CLI's content hash): the face id is
   * derived from it and the caller's key id ({@linkcode enrollFaceId}), so every retry names one
   * face. Default: none.
   */
  idempotencyKey?: string;
  /**
   * The subject's expiry (ISO 8601 with a time zone, in the future, see `parseExpiry`): after it
   * none of its faces match and a purge deletes them. Replaces the subject's expiry. Default: the
   * subject's expiry is unchanged (none for a new subject).
   */
  expiresAt?: unknown;
  /** Who asks, for the audit event. Default: unknown. */
  caller?: Caller;
}

/** The enrolled face. */
export interface EnrolledFace {
  /** The subject. */
  subject: string;
  /** The new face's id. */
  face_id: string;
  /** The face's quality measures. */
  quality: FaceQuality;
  /** The clockwise turn applied to find the face, when the photo had to be turned. */
  rotation?: Rotation;
  /** When it was stored (ISO 8601). */
  created_at: string;
  /** Present (true) when `faceId` named a face already enrolled: nothing was written. */
  already_enrolled?: true;
  /** The subject's expiry, when this request set one. */
  expires_at?: string;
}

/**
 * The face id a write with an idempotency key uses: derived from the API key id (`"-"` without
 * auth, as the CLIs' local mode) and the key, so retries name one face.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enrollFaceId } from "./enroll_face.ts";
 * assert.equal(await enrollFaceId("-", "k1"), await enrollFaceId("-", "k1"));
 * assert.notEqual(await enrollFaceId("-", "k1"), await enrollFaceId("0123456789abcdef", "k1"));
 * assert.match(await enrollFaceId("-", "k1"), /^i[0-9a-f]{40}$/);
 * ```
 */
export async function enrollFaceId(owner: string, key: string): Promise<string> {
  return `i${(await sha256Hex(`${owner}:${key}`)).slice(0, 40)}`;
}

/**
 * Enrolls one face.
 *
 * When the collection's policy requires liveness (or the request asks), a face the passive model
 * does not judge live is refused (`not_live`, or `insufficient_context` when it cannot judge).
 *
 * @throws {FaceError} `invalid_request` for bad names or metadata, `low_quality` (with
 *   `details.reasons`), `no_face`, `multiple_faces`, the decoder's errors, `conflict` (subject
 *   full), `store_unavailable`, `model_unavailable`.
 */
export async function enrollFace(deps: UseCaseDeps, input: EnrollFaceInput): Promise<EnrolledFace> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const subject = validateName("subject", input.subject);
  const expiresAt = input.expiresAt === undefined
    ? undefined
    : parseExpiry(input.expiresAt, deps.now?.() ?? new Date());
  const rule = await livenessRule(deps, {
    collection,
    policy: await readPolicy(deps, collection),
    request: { liveness: input.liveness },
    caller: input.caller,
    action: "enroll",
  });
  const face = await embedProbe(deps, input.image, input.face ?? "single", undefined, {
    liveness: rule !== null,
  });
  if (rule) {
    // Enrolment is judged by the passive model in either mode: a challenge vouches for a probe.
    const verdict = passiveVerdict({ ...rule, mode: "passive" }, face.liveness);
    if (!verdict.live) {
      throw new FaceError(
        verdict.reason === "insufficient_context" ? "insufficient_context" : "not_live",
        verdict.reason === "insufficient_context"
          ? "Cannot enroll face: liveness cannot be judged, the face fills the frame; send the " +
            "whole camera frame"
          : `Cannot enroll face: it was judged not live (score ${verdict.score} < ${verdict.threshold})`,
        { details: { liveness: verdict } },
      );
    }
  }
  const reasons = qualityFailures(face.quality);
  if (reasons.length > 0) {
    throw new FaceError("low_quality", `Cannot enroll face: ${reasons.join("; ")}`, {
      details: { reasons, quality: face.quality },
    });
  }
  const record = await deps.store.addFace({ model: deps.model, collection }, subject, {
    embedding: face.embedding,
    quality: face.quality.score,
    metadata: input.metadata as Record<string, unknown> | undefined,
    id: input.faceId ??
      (input.idempotencyKey === undefined
        ? undefined
        : await enrollFaceId(input.caller?.keyId ?? "-", input.idempotencyKey)),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  const out: EnrolledFace = {
    subject,
    face_id: record.id,
    quality: face.quality,
    ...rotationField(face),
    created_at: record.created_at,
  };
  if (record.existing) out.already_enrolled = true;
  else if (expiresAt !== undefined) out.expires_at = expiresAt;
  if (!record.existing) {
    await deps.audit?.({
      action: "enroll",
      key_id: input.caller?.keyId,
      request_id: input.caller?.requestId,
      collection,
      subject,
      face_id: record.id,
      ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
    });
  }
  return out;
}
