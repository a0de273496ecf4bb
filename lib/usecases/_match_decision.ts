/**
 * The 1:1 decision of a distance at a threshold, with its confidence, and the 4-decimal rounding
 * of answered numbers.
 *
 * @module
 */
import { confidence } from "../match/mod.ts";

/** Rounds a distance, similarity or confidence to 4 decimals for responses. */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** A 1:1 match decision, in the answer order of compare and verify. */
export interface MatchDecision {
  /** Whether `distance <= threshold`. */
  match: boolean;
  /** L2 distance of the two embeddings. */
  distance: number;
  /** Cosine similarity at that distance (`1 − d²/2`). */
  similarity: number;
  /** The threshold the decision used. */
  threshold: number;
  /** Confidence of the decision (see `confidence`). */
  confidence: number;
}

/** The decision on `distance` at `threshold`. */
export function matchDecision(distance: number, threshold: number): MatchDecision {
  return {
    match: distance <= threshold,
    distance: round4(distance),
    similarity: round4(1 - (distance * distance) / 2),
    threshold,
    confidence: round4(confidence(distance, threshold)),
  };
}
