/**
 * JSON Schemas of the API's bodies, shared by the route declarations and the generated OpenAPI
 * document (`components.schemas`).
 *
 * @module
 */

import { FAR_PRESETS } from "../lib/usecases/mod.ts";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it). */
export type JsonSchema = Record<string, unknown>;

/** A `$ref` to a component schema. */
export function ref(name: keyof typeof COMPONENT_SCHEMAS): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

const num = { type: "number" };
const str = { type: "string" };
const obj = (properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema => ({
  type: "object",
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});
const c = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const THRESHOLD_SOURCE = {
  type: "string",
  enum: ["policy", "request"],
  description: "Where the threshold came from: the collection's match policy (or the calibrated " +
    "default), or the request's stricter `threshold` / `far` (looser only with an admin key).",
};
const POLICY_THRESHOLD = {
  oneOf: [
    obj({ threshold: { type: "number", exclusiveMinimum: 0, maximum: 2 } }),
    obj({ far: { type: "string", enum: ["1e-2", "1e-3", "1e-4"] } }),
    obj({ fpir: { type: "number", exclusiveMinimum: 0, maximum: 0.5 } }),
    { type: "null" },
  ],
};
const FPIR = {
  ...obj({
    target: { type: ["number", "null"] },
    estimated: { type: "number", minimum: 0, maximum: 1 },
    faces: { type: "integer", minimum: 0 },
  }),
  description: "identify only: the FPIR the collection targets (null: a fixed threshold) and the " +
    "one estimated at `threshold` for the gallery's face count, from the recipe's impostor FAR " +
    "curve (dev data, union bound over the faces)",
};

const EXPIRES_AT = {
  type: "string",
  format: "date-time",
  description: "When the subject expires (ISO 8601): after it none of its faces match, and a " +
    "purge deletes them.",
};
const RETENTION = {
  ...obj({ days: { type: "integer", minimum: 1, maximum: 3650 } }),
  description: "How long a face may match after its enrolment: older faces never match and are " +
    "purged.",
};

const LIVENESS_VERDICT = {
  ...obj({
    live: { type: "boolean" },
    score: { type: ["number", "null"], minimum: 0, maximum: 1 },
    threshold: num,
    mode: { type: "string", enum: ["passive", "challenge"] },
    source: { type: "string", enum: ["policy", "request"] },
    reason: {
      type: "string",
      enum: ["not_live", "insufficient_context", "challenge_required", "challenge_face_mismatch"],
    },
  }, ["reason"]),
  description: "The liveness verdict on the probe (when the policy or the request asked): a face " +
    "judged not live never matches; `reason` says why it is not live.",
};
const LIVENESS_POLICY = {
  oneOf: [
    obj({
      required: { type: "boolean" },
      mode: { type: "string", enum: ["passive", "challenge"] },
      threshold: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
    }, ["mode", "threshold"]),
    { type: "null" },
  ],
  description: "Liveness on every verify, identify and enroll of the collection: `passive` (a " +
    "trusted camera; the model judges the probe) or `challenge` (verify needs the token of a " +
    "passed challenge whose face is the probe's); `threshold` only stricter than the calibrated.",
};

/**
 * The pattern of collection and subject names (`validateName` in `lib/store/keys.ts`):
 * `[A-Za-z0-9_.@-]{1,128}`, not `.` or `..`.
 */
export const NAME_PATTERN = "^(?!\\.\\.?$)[A-Za-z0-9_.@-]{1,128}$";

/** Every face policy; each route accepts the subset its `face` query parameter lists. */
const FACE_POLICIES = ["all", "largest", "center", "primary", "single"];
const face = {
  type: "string",
  enum: FACE_POLICIES,
  description: "Face policy; the route's `face` query parameter lists the values it accepts.",
};

const far = {
  type: "string",
  enum: [...FAR_PRESETS, "0.01", "0.001", "0.0001"],
  description: "FAR preset (not with threshold); 0.01, 0.001 and 0.0001 name the same presets",
};

/** The clockwise turn the pipeline applied to a photo it found turned (absent when upright). */
const rotation = {
  type: "integer",
  enum: [90, 180, 270],
  description: "Degrees clockwise the photo was turned to find its face; absent when upright",
};

const base64Image = {
  type: "string",
  minLength: 1,
  description: "JPEG or PNG, base64 or a `data:image/...;base64,` URL",
};
/** A non-empty file part or body. */
const binary = { type: "string", format: "binary", minLength: 1 };

/** Every named schema. */
export const COMPONENT_SCHEMAS = {
  Problem: {
    ...obj({
      type: str,
      title: str,
      status: { type: "integer" },
      detail: str,
      instance: str,
      code: str,
      request_id: str,
    }, ["instance"]),
    description: "RFC 9457 problem details; extra members (e.g. `reasons`) depend on `code`.",
    additionalProperties: true,
  },
  Box: obj({ x: num, y: num, width: num, height: num }),
  Landmarks: {
    type: "array",
    description: "Eye centres (image-left first), nose tip, mouth corners, as [x, y] pixels.",
    items: { type: "array", items: num, minItems: 2, maxItems: 2 },
    minItems: 5,
    maxItems: 5,
  },
  Quality: obj({
    score: num,
    face_size: num,
    eye_distance: num,
    detector_score: num,
    sharpness: num,
    pose: obj({ yaw: num, pitch: num, roll: num }),
    texture: {
      type: "number",
      description: "Texture contrast of the aligned face (90th / 50th percentile of the " +
        "Laplacian): photos 2–17, drawings far more; enrolment refuses > 20",
    },
    embedding_norm: {
      type: "number",
      description: "How strongly the recognition model answers (its raw output's length; " +
        "human faces 2.3–5.1); absent when the face was not embedded",
    },
  }, ["embedding_norm"]),
  DetectResponse: obj({
    width: { type: "integer" },
    height: { type: "integer" },
    faces: {
      type: "array",
      items: obj({ box: c("Box"), score: num, landmarks: c("Landmarks"), quality: c("Quality") }),
    },
    timings: { type: "object", additionalProperties: num },
  }, ["timings"]),
  EmbedResponse: obj({
    model: str,
    dim: { type: "integer" },
    faces: {
      type: "array",
      items: obj({ box: c("Box"), embedding: { type: "array", items: num } }),
    },
    rotation,
  }, ["rotation"]),
  CompareResponse: obj({
    match: { type: "boolean" },
    distance: num,
    similarity: num,
    threshold: num,
    confidence: num,
    rotation: obj({ a: { type: "integer" }, b: { type: "integer" } }),
    boxes: obj({ a: c("Box"), b: c("Box") }),
    threshold_source: THRESHOLD_SOURCE,
    model: str,
  }, ["rotation"]),
  EnrollResponse: obj({
    subject: str,
    face_id: str,
    quality: c("Quality"),
    rotation,
    created_at: str,
    already_enrolled: {
      type: "boolean",
      description: "Present when an `Idempotency-Key` retry found its face already stored.",
    },
    expires_at: { ...EXPIRES_AT, description: "The subject's expiry, when this request set it." },
  }, ["rotation", "already_enrolled", "expires_at"]),
  SubjectSummary: obj({
    subject: str,
    face_count: { type: "integer" },
    created_at: str,
    updated_at: str,
    expires_at: EXPIRES_AT,
  }, ["expires_at"]),
  SubjectPage: obj({
    subjects: { type: "array", items: c("SubjectSummary") },
    next_cursor: { type: ["string", "null"] },
  }),
  Subject: obj({
    subject: str,
    face_count: { type: "integer" },
    created_at: str,
    updated_at: str,
    expires_at: EXPIRES_AT,
    faces: {
      type: "array",
      items: obj({
        face_id: str,
        quality: num,
        created_at: str,
        metadata: { type: "object" },
      }, ["metadata"]),
    },
  }, ["expires_at"]),
  SubjectExpiry: obj({
    subject: str,
    expires_at: { type: ["string", "null"], format: "date-time" },
  }),
  SubjectExpiryInput: obj({
    expires_at: {
      type: ["string", "null"],
      format: "date-time",
      description: "ISO 8601 with a time zone, in the future, at most 36500 days ahead; null " +
        "clears the expiry.",
    },
  }),
  DeleteCollectionResponse: obj({ collection: str, deleted_faces: { type: "integer" } }),
  CollectionList: obj({
    collections: {
      type: "array",
      items: obj({
        collection: str,
        recipe: { type: "string", description: "The embedder recipe of its templates" },
        subjects: { type: "integer" },
        faces: { type: "integer" },
        policy: obj({
          verify: c("PolicyRule"),
          identify: c("PolicyRule"),
          retention: { oneOf: [RETENTION, { type: "null" }] },
          liveness: LIVENESS_POLICY,
          updated_at: { type: ["string", "null"] },
        }),
      }),
    },
  }),
  VerifyResponse: obj({
    subject: str,
    match: { type: "boolean" },
    distance: num,
    similarity: num,
    threshold: num,
    confidence: num,
    threshold_source: THRESHOLD_SOURCE,
    face_id: str,
    rotation,
    box: c("Box"),
    model: str,
    liveness: LIVENESS_VERDICT,
  }, ["rotation", "liveness"]),
  Candidate: obj({ subject: str, distance: num, similarity: num, confidence: num, face_id: str }),
  IdentifyResponse: obj({
    match: { oneOf: [c("Candidate"), { type: "null" }] },
    candidates: { type: "array", items: c("Candidate") },
    liveness: LIVENESS_VERDICT,
    rotation,
    threshold: num,
    threshold_source: THRESHOLD_SOURCE,
    fpir: FPIR,
    model: str,
  }, ["rotation", "liveness", "fpir"]),
  IdentifyAllResponse: obj({
    faces: {
      type: "array",
      items: obj({
        box: c("Box"),
        match: { oneOf: [c("Candidate"), { type: "null" }] },
        candidates: { type: "array", items: c("Candidate") },
        liveness: LIVENESS_VERDICT,
      }, ["liveness"]),
    },
    detected: { type: "integer", description: "Faces found, including any beyond the limit" },
    rotation,
    threshold: num,
    threshold_source: THRESHOLD_SOURCE,
    fpir: FPIR,
    model: str,
  }, ["rotation", "fpir"]),
  PolicyRule: obj({
    threshold: num,
    far: str,
    fpir: {
      type: "number",
      description: "identify: the FPIR target; `threshold` is then its loosest value (each " +
        "identify answer gives the one for the gallery's face count)",
    },
    source: { type: "string", enum: ["policy", "default"] },
  }, ["far", "fpir"]),
  MatchPolicy: obj({
    collection: str,
    verify: c("PolicyRule"),
    identify: c("PolicyRule"),
    retention: { oneOf: [RETENTION, { type: "null" }] },
    liveness: LIVENESS_POLICY,
    updated_at: { type: ["string", "null"] },
  }),
  LivenessResponse: obj({
    live: { type: "boolean" },
    score: { type: "number", minimum: 0, maximum: 1, description: "Bona fide probability" },
    threshold: num,
    model: str,
    box: c("Box"),
    context: {
      type: "number",
      description: "The context the image allowed around the face (× the box; the model wants " +
        "2.7, and below 1.5 it does not judge)",
    },
    rotation,
  }, ["rotation"]),
  LivenessSessionResponse: obj({
    session_id: { type: "string", pattern: "^[A-Za-z0-9_-]{16,64}$" },
    nonce: { type: "string", description: "Send it back with the frames" },
    challenge: {
      type: "array",
      items: { type: "string", enum: ["turn_left", "turn_right", "blink"] },
      description: "The moves to make, in order: `turn_left` / `turn_right` turn the head to " +
        "the person's own left / right by at least 15° (from looking straight at the camera), " +
        "`blink` closes and opens the eyes",
    },
    expires_at: { type: "string", format: "date-time" },
  }),
  LivenessFramesMultipart: obj({
    frame: {
      type: "array",
      items: binary,
      minItems: 4,
      maxItems: 12,
      description: "4 to 12 JPEG or PNG frames in capture order, as the camera gives them " +
        "(unmirrored), each at most 2 MiB",
    },
    timestamps: {
      type: "string",
      description: "A JSON array: the capture time of each frame, ms since the epoch",
    },
    nonce: str,
  }),
  LivenessFramesResponse: obj({
    passed: { type: "boolean" },
    liveness_token: {
      type: "string",
      description: "Single use, for verify's `liveness_token` within its lifetime (60 s)",
    },
    expires_at: { type: "string", format: "date-time" },
    reason: {
      type: "string",
      enum: [
        "no_face",
        "bad_timestamps",
        "duplicate_frames",
        "static_frames",
        "different_faces",
        "wrong_turn",
        "turn_not_seen",
        "blink_not_seen",
        "insufficient_context",
        "not_live",
      ],
      description: "The first failed check",
    },
    checks: {
      type: "object",
      description: "What each check found (timestamps, distinct, motion, same_face, challenge, " +
        "yaw and eyes per frame, passive)",
    },
  }, ["liveness_token", "expires_at", "reason"]),
  AuditEvent: {
    type: "object",
    required: ["id", "time", "action"],
    properties: {
      id: str,
      time: str,
      action: {
        type: "string",
        enum: [
          "enroll",
          "delete_subject",
          "delete_face",
          "delete_collection",
          "policy_set",
          "decision_loosened",
          "liveness_skipped",
          "subject_expiry_set",
          "purge_expired",
          "collection_converted",
        ],
      },
      key_id: str,
      request_id: str,
      collection: str,
      subject: str,
      face_id: str,
      purged_faces: { type: "integer" },
      purged_subjects: { type: "integer" },
    },
  },
  ConvertCollectionInput: obj({ to: { type: "string", description: "The target recipe id" } }),
  CollectionConversion: obj({
    collection: str,
    from: str,
    to: str,
    subjects: { type: "integer", minimum: 0 },
    faces: { type: "integer", minimum: 0 },
    unchanged: { type: "boolean" },
  }),
  PurgeReport: obj({
    collection: str,
    purged_faces: { type: "integer", minimum: 0 },
    purged_subjects: { type: "integer", minimum: 0 },
  }),
  AuditPage: obj({
    events: { type: "array", items: c("AuditEvent") },
    next_cursor: { type: ["string", "null"] },
  }),
  MatchPolicyInput: obj({
    verify: POLICY_THRESHOLD,
    identify: POLICY_THRESHOLD,
    retention: { oneOf: [RETENTION, { type: "null" }] },
    liveness: LIVENESS_POLICY,
  }, ["verify", "identify", "retention", "liveness"]),
  Health: obj({
    status: str,
    store: str,
    model: str,
    strategy: str,
    thresholds: obj({ verify: num, identify: num, calibrated: { type: "boolean" } }),
  }),
  ImageJson: {
    ...obj({
      image: base64Image,
      face,
      threshold: num,
      far,
      k: { type: "integer" },
      metadata: { type: "object" },
      expires_at: EXPIRES_AT,
      liveness: { type: "boolean" },
      liveness_token: str,
    }, ["face", "threshold", "far", "k", "metadata", "expires_at", "liveness", "liveness_token"]),
    description: "Options may also be given in the query string (not both with different values).",
  },
  ImageMultipart: obj({
    image: binary,
    face,
    threshold: str,
    far,
    k: str,
    metadata: { type: "string", description: "A JSON object" },
    expires_at: EXPIRES_AT,
  }, ["face", "threshold", "far", "k", "metadata", "expires_at"]),
  PairJson: obj({ a: base64Image, b: base64Image, face, threshold: num, far }, [
    "face",
    "threshold",
    "far",
  ]),
  PairMultipart: obj({
    a: binary,
    b: binary,
    face,
    threshold: str,
    far,
  }, ["face", "threshold", "far"]),
} satisfies Record<string, JsonSchema>;

/** Request bodies of single-image routes, by media type. */
export const IMAGE_BODY: Record<string, JsonSchema> = {
  "image/jpeg": binary,
  "image/png": binary,
  "image/webp": binary,
  "image/heic": binary,
  "image/heif": binary,
  "image/avif": binary,
  "image/gif": binary,
  "application/octet-stream": binary,
  "multipart/form-data": c("ImageMultipart"),
  "application/json": c("ImageJson"),
};

/** Request bodies of `/v1/compare`, by media type. */
export const PAIR_BODY: Record<string, JsonSchema> = {
  "multipart/form-data": c("PairMultipart"),
  "application/json": c("PairJson"),
};
