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
  /**
   * The per-pair impostor FAR curve (`ImpostorFarCurve` of `lib/match`): identify's threshold for
   * a target FPIR and a gallery's face count. Written by `deno task calibrate --write-fpir`.
   */
  impostor_far?: {
    points: [number, number][];
    tail_decades_per_unit: number;
    impostor_pairs: number;
  };
}

/** The embedder entry. */
export interface EmbedderEntry extends ModelEntry {
  template: [number, number][];
  dim: number;
  thresholds: Thresholds;
  /**
   * Average the embeddings of the face and its mirror image (part of the recipe: embeddings with
   * and without are not comparable). Default: true.
   */
  flip?: boolean;
  /** Set on a recipe view: the recipe's projection (`dim` is then its output). Default: none. */
  projection?: ProjectionEntry;
}

/** The file of a recipe's projection: float32 LE weights, row-major `output × input`. */
export interface ProjectionEntry {
  /** File name in `models/` (committed: it is trained here, `deno task train-projection`). */
  file: string;
  /** sha256 of the file. */
  sha256: string;
  /** Input dimension (the embedder's). */
  input: number;
  /** Output dimension (the template's). */
  output: number;
  /** How it was trained. */
  note?: string;
}

/**
 * An embedder recipe: everything that decides an embedding (weights, precision, flip). Its `id`
 * is the model id stored with every face, so a collection keeps the recipe it was created with
 * and probes are embedded with that recipe.
 */
export interface RecipeEntry {
  /** Stored model id (the embedder's own id for the original recipe). */
  id: string;
  /** Weights: the embedder entry's id. */
  embedder: string;
  /** Numeric precision of the weights. */
  precision: "fp32" | "int8";
  /** Flip averaging. */
  flip: boolean;
  /** Calibrated thresholds of this recipe. Default: the embedder entry's. */
  thresholds?: Thresholds;
  /**
   * A learned linear map applied to the embedder's unit output, then renormalised (v3: 512 → 128).
   * Default: none (the embedder's output is the template).
   */
  projection?: ProjectionEntry;
  /** Why this recipe exists / how it was chosen. */
  note?: string;
}

/** The recipes the service supports and the one new collections get. */
export interface RecipeRegistry {
  /** Recipe id of new collections. */
  default: string;
  entries: RecipeEntry[];
}

/** The passive liveness (presentation-attack detection) model and its calibrated operating point. */
export interface LivenessEntry extends ModelEntry {
  /** How the model's input is cut from the image around the detector box. */
  crop: {
    /** The box is grown by this factor about its centre (aspect kept). */
    scale: number;
    /**
     * Least context the face is judged with: when the image holds less than `min_context` × the
     * box around the face, the answer is a non-response (`insufficient_context`).
     */
    min_context: number;
    /** How the crop is made, in words. */
    note?: string;
  };
  /** Bona fide score (0..1) at or above which a face is judged live. */
  threshold: number;
  /** Where and how the threshold was calibrated. */
  measured_on?: string;
}

/** The eye-state model of the challenge's blink. */
export interface EyeEntry extends ModelEntry {
  /** The softmax class that means "open" (established on photos, see `architecture`). */
  open_class: number;
  /** How the eye crops are cut from the 68 landmarks, in words. */
  crop?: string;
  /** Eye-state thresholds on the mean of both eyes' open probability. */
  thresholds: {
    /** At or above: the eyes are open. */
    open: number;
    /** At or below: the eyes are shut. */
    closed: number;
    /** How they were chosen. */
    note?: string;
  };
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
  /** Passive liveness model. Default: none (liveness unavailable). */
  liveness?: LivenessEntry;
  /** Eye-state model of the liveness challenge (blink). Default: none. */
  eye?: EyeEntry;
  /** Supported recipes. Default: the embedder alone with flip averaging. */
  recipes?: RecipeRegistry;
  /** Set on a {@linkcode recipeManifest} view: the recipe id (the stored model id). */
  recipe?: string;
  /** Set on a {@linkcode recipeManifest} view: the embedder entry as the manifest lists it. */
  baseEmbedder?: EmbedderEntry;
}

/** The committed manifest. */
export const MODEL_MANIFEST: ModelManifest = manifestJson as unknown as ModelManifest;

/** Every model file of the manifest. */
export function modelEntries(manifest: ModelManifest = MODEL_MANIFEST): ModelEntry[] {
  return [
    manifest.detector,
    manifest.landmarks,
    manifest.embedder,
    ...(manifest.liveness ? [manifest.liveness] : []),
    ...(manifest.eye ? [manifest.eye] : []),
  ];
}

/** Every supported recipe; the original embedder (flip averaging) when the manifest lists none. */
export function embedderRecipes(manifest: ModelManifest = MODEL_MANIFEST): RecipeEntry[] {
  return manifest.recipes?.entries ?? [{
    id: manifest.embedder.id,
    embedder: manifest.embedder.id,
    precision: "fp32",
    flip: manifest.embedder.flip ?? true,
  }];
}

/**
 * The recipe new collections get.
 * @throws {RangeError} when the registry's default is not one of its entries.
 */
export function defaultRecipe(manifest: ModelManifest = MODEL_MANIFEST): RecipeEntry {
  const all = embedderRecipes(manifest);
  const id = manifest.recipes?.default ?? all[0].id;
  const r = all.find((x) => x.id === id);
  if (!r) throw new RangeError(`Model manifest: default recipe "${id}" is not listed`);
  return r;
}

/**
 * The manifest as seen by one recipe: its embedder entry carries the recipe's id, flip and
 * thresholds, so the pipeline, the thresholds and the store key all follow the recipe.
 * @throws {RangeError} when `id` is not a supported recipe or names weights the manifest lacks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODEL_MANIFEST, recipeManifest } from "./manifest.ts";
 * const m = recipeManifest(MODEL_MANIFEST, MODEL_MANIFEST.embedder.id);
 * assert.equal(m.embedder.flip, true);
 * assert.equal(m.recipe, MODEL_MANIFEST.embedder.id);
 * assert.throws(() => recipeManifest(MODEL_MANIFEST, "nope"), RangeError);
 * ```
 */
export function recipeManifest(manifest: ModelManifest, id: string): ModelManifest {
  const r = embedderRecipes(manifest).find((x) => x.id === id);
  if (!r) throw new RangeError(`Unknown embedder recipe "${id}"`);
  if (r.embedder !== manifest.embedder.id || r.precision !== "fp32") {
    throw new RangeError(`Embedder recipe "${id}" needs weights this manifest does not ship`);
  }
  // A view of a view starts again from the listed embedder entry.
  const base = manifest.baseEmbedder ?? manifest.embedder;
  return {
    ...manifest,
    embedder: {
      ...base,
      // Sessions are cached by the weights' id, not the recipe's.
      flip: r.flip,
      thresholds: r.thresholds ?? base.thresholds,
      ...(r.projection ? { projection: r.projection, dim: r.projection.output } : {}),
    },
    recipe: r.id,
    baseEmbedder: base,
  };
}
