/**
 * What every use case runs on. The entry points build it once per isolate (the app from its
 * `AppDeps`, the CLIs' local mode through the same app deps) and pass it to each call.
 *
 * @module
 */
import type { PipelineDeps } from "../pipeline/mod.ts";
import type { FaceStore } from "../store/mod.ts";
import type { GalleryCache, MatchStrategy } from "../match/mod.ts";
import type { MatchThresholds } from "./match_thresholds.ts";

/** Injected dependencies of the use cases. */
export interface UseCaseDeps {
  /** Model sessions and the manifest in force. */
  pipeline: Required<PipelineDeps>;
  /** Where enrolled faces live. */
  store: FaceStore;
  /** The embedder id: scopes every collection and is reported in match answers. */
  model: string;
  /** Match thresholds from the manifest (with fallbacks). */
  thresholds: MatchThresholds;
  /** How a subject with several faces is scored (`Config.matchStrategy`). */
  matchStrategy: MatchStrategy;
  /** Per-isolate gallery indexes, validated by the store's gallery version. */
  galleries: GalleryCache;
  /**
   * Decoder limits: `maxBytes` of an encoded image, `maxPixels` and `maxDecodedBytes` decoded
   * (undefined: the decoder's defaults).
   */
  limits: {
    maxBytes: number;
    maxPixels: number | undefined;
    maxDecodedBytes?: number | undefined;
  };
}
