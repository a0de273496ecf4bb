/**
 * Per-request and per-process bounds: request bodies read within a byte limit and a time budget,
 * a shared budget of bytes held at once, and admission control for the pipeline.
 *
 * @module
 */
export * from "./byte_budget.ts";
export * from "./concurrency_gate.ts";
export * from "./read_bounded_body.ts";
