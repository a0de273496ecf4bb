/**
 * The whole face pipeline and face quality.
 * @module
 */
export * from "./analyze_image.ts";
export * from "./assess_quality.ts";
