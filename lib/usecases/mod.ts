/**
 * The use cases: detect, embed, compare, enroll, verify, identify, list/get/delete, and the upload
 * webhook's action. Each is a plain function over injected {@linkcode UseCaseDeps} that returns
 * data or throws `FaceError`; the HTTP routes, the CLIs' local mode, the webhook and the Workers
 * entry all call them. Other folders import only this file.
 *
 * @module
 */

export * from "./use_case_deps.ts";
export * from "./match_thresholds.ts";
export * from "./choose_threshold.ts";
export * from "./match_policy.ts";
export * from "./decide_threshold.ts";
export type { EmbeddedFace } from "./_analyze_probe.ts";
export type { MatchDecision } from "./_match_decision.ts";
export * from "./detect_image.ts";
export * from "./preview_image.ts";
export * from "./embed_image.ts";
export * from "./compare_images.ts";
export * from "./enroll_face.ts";
export * from "./verify_subject.ts";
export * from "./identify_face.ts";
export * from "./subjects.ts";
export * from "./list_collections.ts";
export * from "./erase_answers.ts";
export * from "./run_upload_action.ts";
export * from "./process_upload.ts";
export * from "./read_options.ts";
export * from "./for_collection.ts";
export * from "./retention.ts";
export * from "./purge_expired.ts";
export * from "./background_purge.ts";
export * from "./liveness_rule.ts";
export * from "./check_liveness.ts";
export * from "./convert_collection.ts";
export * from "./liveness_tokens.ts";
export * from "./liveness_sessions.ts";
