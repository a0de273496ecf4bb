/**
 * ONNX sessions created once per isolate (lazily) and shared by every request of that isolate.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import { FaceError } from "../errors.ts";
import type { ModelEntry } from "../../models/manifest.ts";

/** Returns the bytes of a model file (file system in Deno, module import on Workers). */
export type ModelLoader = (entry: ModelEntry) => Promise<Uint8Array>;

/** Options for {@linkcode SessionCache}. */
export interface SessionCacheOptions {
  /** WebAssembly threads for onnxruntime (1 on the edge). Default: 1. */
  threads?: number;
}

/** The onnxruntime session type the pipeline runs. */
export type OrtSession = ort.InferenceSession;

/** Re-export of onnxruntime's Tensor so the rest of lib/ needs no direct import. */
export const Tensor = ort.Tensor;

let configured = false;

/** Applies process-wide onnxruntime settings once (first caller wins). */
function configureOrt(threads: number): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "error";
}

/**
 * Lazily creates and caches one {@linkcode OrtSession} per model id. A failed load is not cached,
 * so the next request retries.
 */
export class SessionCache {
  readonly #loader: ModelLoader;
  readonly #sessions = new Map<string, Promise<OrtSession>>();

  constructor(loader: ModelLoader, options: SessionCacheOptions = {}) {
    this.#loader = loader;
    configureOrt(options.threads ?? 1);
  }

  /**
   * The session for `entry`, created on first use.
   * @throws {FaceError} `model_unavailable` when the file cannot be read or parsed.
   */
  get(entry: ModelEntry): Promise<OrtSession> {
    let session = this.#sessions.get(entry.id);
    if (!session) {
      session = this.#create(entry);
      this.#sessions.set(entry.id, session);
      session.catch(() => this.#sessions.delete(entry.id));
    }
    return session;
  }

  async #create(entry: ModelEntry): Promise<OrtSession> {
    let bytes: Uint8Array;
    try {
      bytes = await this.#loader(entry);
    } catch (cause) {
      throw new FaceError("model_unavailable", `Cannot load model ${entry.id}: file unavailable`, {
        cause,
      });
    }
    try {
      return await ort.InferenceSession.create(bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      });
    } catch (cause) {
      throw new FaceError("model_unavailable", `Cannot load model ${entry.id}: invalid ONNX`, {
        cause,
      });
    }
  }
}

/**
 * A {@linkcode ModelLoader} reading `models/<file>` relative to this repository (Deno entry).
 */
export function fileModelLoader(dir: URL = new URL("../../models/", import.meta.url)): ModelLoader {
  return (entry) => Deno.readFile(new URL(entry.file, dir));
}
