/**
 * The upload webhook's action (enroll, verify or identify an uploaded image), run through the
 * same use cases the routes call, with the routes' defaults.
 *
 * @module
 */
import type { UploadData } from "../webhook/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { type EnrolledFace, enrollFace } from "./enroll_face.ts";
import { type Verification, verifySubject } from "./verify_subject.ts";
import { type Identification, identifyFace } from "./identify_face.ts";
import type { Caller } from "./decide_threshold.ts";

/**
 * Performs an upload's action on the fetched image bytes.
 *
 * @returns What the matching route answers (enroll, verify, identify).
 * @throws {FaceError} As {@linkcode enrollFace}, {@linkcode verifySubject} and
 *   {@linkcode identifyFace} do.
 */
export function runUploadAction(
  deps: UseCaseDeps,
  data: UploadData,
  image: Uint8Array,
  caller?: Caller,
): Promise<EnrolledFace | Verification | Identification> {
  const { collection } = data;
  if (data.action === "identify") return identifyFace(deps, { collection, image, caller });
  const subject = data.subject ?? "";
  if (data.action === "verify") return verifySubject(deps, { collection, subject, image, caller });
  return enrollFace(deps, { collection, subject, image, metadata: data.metadata, caller });
}
