/**
 * Presentation-attack detection: the passive model's crop and score, the eye state of the
 * challenge's blink, and the challenge's checks over a burst of frames.
 *
 * @module
 */
export * from "./liveness_crop.ts";
export * from "./score_liveness.ts";
export * from "./eye_state.ts";
export * from "./check_burst.ts";
