/**
 * Identify: who is this, if anyone enrolled (open-set 1:K)? With {@linkcode identifyFaces}: who is
 * each person in this photo?
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { AnalyzedFace, FaceSelection, Rotation } from "../pipeline/mod.ts";
import { confidence, type GalleryCandidate, type LiveWindow } from "../match/mod.ts";
import { validateName } from "../store/mod.ts";
import { forCollection } from "./for_collection.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import type { ThresholdOptions } from "./choose_threshold.ts";
import { readPolicy } from "./match_policy.ts";
import {
  type Caller,
  type DecidedThreshold,
  decideThreshold,
  type FpirStatement,
} from "./decide_threshold.ts";
import type { StoredPolicy } from "../store/mod.ts";
import { liveWindow } from "./retention.ts";
import {
  judgeProbe,
  type LivenessRequest,
  type LivenessRule,
  livenessRule,
  type LivenessVerdict,
  passiveVerdict,
} from "./liveness_rule.ts";
import { analyze, embedProbe, rotationField } from "./_analyze_probe.ts";
import { collectionNotFound } from "./_collection_not_found.ts";
import { round4 } from "./_match_decision.ts";
import { type OpenedGallery, openGallery } from "./_open_gallery.ts";

/** Most faces {@linkcode identifyFaces} identifies in one photo (the largest ones). */
export const MAX_IDENTIFY_FACES = 20;

/** What to identify. */
export interface IdentifyFaceInput extends ThresholdOptions, LivenessRequest {
  /** Collection name. */
  collection: string;
  /** The encoded probe image. */
  image: Uint8Array;
  /** Which face of the probe: `largest`, `center`, `primary`, `single`. Default: `"largest"`. */
  face?: FaceSelection;
  /** Number of candidates, 1..50. Default: 5. */
  k?: number;
  /** Who asks (a looser threshold needs an admin). Default: trusted (admin). */
  caller?: Caller;
}

/** One candidate subject. */
export interface IdentifyCandidate {
  /** The subject. */
  subject: string;
  /** L2 distance of its best face. */
  distance: number;
  /** Cosine similarity at that distance. */
  similarity: number;
  /** Confidence at the threshold used. */
  confidence: number;
  /** The face that scored. */
  face_id: string;
}

/** The decision on one face. */
export interface FaceIdentity {
  /** The nearest candidate when within the threshold, else null: the person is unknown. */
  match: IdentifyCandidate | null;
  /** The `k` nearest subjects, nearest first. */
  candidates: IdentifyCandidate[];
  /**
   * The liveness verdict when the collection's policy or the request asked for one: `match` is
   * null whenever `liveness.live` is false (the candidates are still listed).
   */
  liveness?: LivenessVerdict;
}

/** The answer of {@linkcode identifyFace}. */
export interface Identification extends FaceIdentity {
  /** The clockwise turn applied to the probe, when it had to be turned. */
  rotation?: Rotation;
  /** The threshold used. */
  threshold: number;
  /** Where it came from: the collection's policy or the request. */
  threshold_source: "policy" | "request";
  /**
   * The FPIR the collection targets and the one estimated at `threshold` for the gallery's face
   * count (from the recipe's calibrated impostor FAR curve; absent for a recipe without one).
   */
  fpir?: FpirStatement;
  /** The embedder id. */
  model: string;
}

/** The answer of {@linkcode identifyFaces}. */
export interface Identifications {
  /** Each face processed (the largest, at most {@linkcode MAX_IDENTIFY_FACES}), with its box. */
  faces: (FaceIdentity & { box: AnalyzedFace["box"] })[];
  /** Faces found, including any beyond the limit. */
  detected: number;
  /** The clockwise turn applied to find the faces, when the photo had to be turned. */
  rotation?: Rotation;
  /** The threshold used. */
  threshold: number;
  /** Where it came from: the collection's policy or the request. */
  threshold_source: "policy" | "request";
  /**
   * The FPIR the collection targets and the one estimated at `threshold` for the gallery's face
   * count (from the recipe's calibrated impostor FAR curve; absent for a recipe without one).
   */
  fpir?: FpirStatement;
  /** The embedder id. */
  model: string;
}

/**
 * The `k` nearest subjects of a collection. With the `nearest` strategy the gallery is searched
 * through the per-isolate int8 index (cached until the store's gallery version changes: a warm
 * call costs one version read); `mean` / `top2` scan the float32 gallery. Faces older than the
 * collection's retention period and faces of expired subjects are skipped at search time (a
 * cached index too), so they are never a match or a candidate. An empty or unknown collection,
 * or one without a live face, gives no candidates.
 *
 * @throws {FaceError} `invalid_request`, `policy_violation`, `model_mismatch` (the gallery holds other embeddings),
 *   the pipeline's errors, `store_unavailable`.
 */
export async function identifyFace(
  deps: UseCaseDeps,
  input: IdentifyFaceInput,
): Promise<Identification> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const { policy, window, rule } = await rulesFor(deps, collection, input);
  const gallery = await openGallery(deps, collection, window);
  const { threshold, source, fpir } = await thresholdFor(deps, collection, input, policy, gallery);
  const probe = await embedProbe(deps, input.image, input.face ?? "largest", undefined, {
    liveness: rule?.mode === "passive",
  });
  const liveness = rule ? await judgeProbe(deps, rule, probe, input, threshold) : undefined;
  const found = await gallery.search(probe.embedding, input.k ?? 5);
  return {
    ...withLiveness(decide(found, threshold, collection), liveness),
    ...rotationField(probe),
    threshold,
    threshold_source: source,
    ...(fpir ? { fpir } : {}),
    model: deps.model,
  };
}

/**
 * Identifies every face of a photo (up to {@linkcode MAX_IDENTIFY_FACES}, the largest), one
 * gallery search each, at the same threshold; a photo without a face gives `faces: []`.
 *
 * @throws {FaceError} As {@linkcode identifyFace}, but never `no_face`.
 */
export async function identifyFaces(
  deps: UseCaseDeps,
  input: Omit<IdentifyFaceInput, "face">,
): Promise<Identifications> {
  const collection = validateName("collection", input.collection);
  deps = await forCollection(deps, collection);
  const { policy, window, rule } = await rulesFor(deps, collection, input);
  if (rule?.mode === "challenge") {
    throw new FaceError(
      "liveness_required",
      "Cannot identify every face of a photo: this collection requires a liveness challenge, " +
        "which vouches for one face; identify one face with its liveness_token",
    );
  }
  const gallery = await openGallery(deps, collection, window);
  const { threshold, source, fpir } = await thresholdFor(deps, collection, input, policy, gallery);
  const found = await analyze(deps, input.image, {
    select: "all",
    maxFaces: MAX_IDENTIFY_FACES,
    liveness: rule !== null,
  });
  const k = input.k ?? 5;
  const faces: Identifications["faces"] = [];
  for (const face of found.faces) {
    const near = await gallery.search(face.embedding ?? new Float32Array(), k);
    faces.push({
      box: face.box,
      ...withLiveness(
        decide(near, threshold, collection),
        rule ? passiveVerdict(rule, face.liveness) : undefined,
      ),
    });
  }
  return {
    faces,
    detected: found.detected,
    ...rotationField(found),
    threshold,
    threshold_source: source,
    ...(fpir ? { fpir } : {}),
    model: deps.model,
  };
}

/**
 * The collection's policy (one read), its liveness rule and the window of faces that may match
 * (retention, expiry).
 */
async function rulesFor(
  deps: UseCaseDeps,
  collection: string,
  input: IdentifyFaceInput,
): Promise<{ policy: StoredPolicy | null; window: LiveWindow; rule: LivenessRule | null }> {
  const policy = await readPolicy(deps, collection);
  const rule = await livenessRule(deps, {
    collection,
    policy,
    request: input,
    caller: input.caller,
    action: "identify",
  });
  return { policy, window: liveWindow(deps, policy), rule };
}

/**
 * The collection's policy threshold for the gallery's face count (an FPIR target), or the
 * request's stricter one (see `decideThreshold`); checked before any image work.
 */
async function thresholdFor(
  deps: UseCaseDeps,
  collection: string,
  input: IdentifyFaceInput,
  policy: StoredPolicy | null,
  gallery: OpenedGallery,
): Promise<DecidedThreshold> {
  return await decideThreshold(deps, {
    collection,
    kind: "identify",
    request: input,
    caller: input.caller,
    policy,
    faces: gallery.faces,
  });
}

/** A face judged not live is never a match (its candidates are still listed). */
function withLiveness(identity: FaceIdentity, liveness: LivenessVerdict | undefined): FaceIdentity {
  if (!liveness) return identity;
  return { ...identity, match: liveness.live ? identity.match : null, liveness };
}

/** @throws {FaceError} `collection_not_found` when nobody is enrolled (a typo is not a stranger). */
function decide(found: GalleryCandidate[], threshold: number, collection: string): FaceIdentity {
  if (found.length === 0) throw collectionNotFound(collection);
  const candidates = found.map((cand) => ({
    subject: cand.subject,
    distance: round4(cand.distance),
    similarity: round4(cand.similarity),
    confidence: round4(confidence(cand.distance, threshold)),
    face_id: cand.face_id,
  }));
  const matched = found[0].distance <= threshold;
  return { match: matched ? candidates[0] : null, candidates };
}
