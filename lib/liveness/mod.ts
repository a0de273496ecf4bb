/**
 * Presentation-attack detection: the passive model's crop and score, and the challenge's checks.
 *
 * @module
 */
export * from "./liveness_crop.ts";
export * from "./score_liveness.ts";
