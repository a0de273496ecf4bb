/**
 * Face detection: boxes, NMS, the UltraFace detector.
 * @module
 */
export * from "./box.ts";
export * from "./nms.ts";
export * from "./ultraface_detector.ts";
