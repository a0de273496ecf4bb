/**
 * The model registry as data: which ONNX files facegate runs, where they come from, how their
 * inputs are normalised and the thresholds calibrated for them. Read from `manifest.json`.
 *
 * @module
 */
import manifestJson from "./manifest.json" with { type: "json" };

/** One model file of the manifest. */
export interface ModelEntry {
  id: string;
  file: string;
  package_path: string;
  sha256: string;
  architecture: string;
  input: { name: string; shape: number[]; layout: string; channels: string };
  normalisation: string;
}

/** Calibrated thresholds (L2 distance on unit embeddings), computed on the dev set only. */
export interface Thresholds {
  /** Best-accuracy threshold chosen by k-fold on the dev LFW pairs. */
  verify?: number;
  /** Thresholds at target per-pair false-accept rates. */
  far?: Record<string, number>;
  /** Stricter default for open-set identify (target false-positive identification rate). */
  identify?: number;
  /** Where and how the numbers were measured. */
  measured_on?: string;
}

/** The embedder entry. */
export interface EmbedderEntry extends ModelEntry {
  template: [number, number][];
  dim: number;
  thresholds: Thresholds;
}

/** The whole manifest. */
export interface ModelManifest {
  schema: number;
  source: {
    package: string;
    version: string;
    integrity: string;
    license: string;
    homepage: string;
  };
  detector: ModelEntry;
  landmarks: ModelEntry;
  embedder: EmbedderEntry;
}

/** The committed manifest. */
export const MODEL_MANIFEST: ModelManifest = manifestJson as unknown as ModelManifest;

/** Every model file of the manifest. */
export function modelEntries(manifest: ModelManifest = MODEL_MANIFEST): ModelEntry[] {
  return [manifest.detector, manifest.landmarks, manifest.embedder];
}
