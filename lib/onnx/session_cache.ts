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
 *
 * The sessions' `run` calls are serialised (one at a time per cache, across models): the wasm
 * backend's sessions share one module, and overlapping runs sometimes return no outputs
 * (`TypeError: Cannot read properties of null` in onnxruntime-web 1.23 under 100 parallel
 * requests, `tests/functions/kv_load_test.ts`). The wasm kernels run on the calling thread, so
 * nothing is lost by queueing them.
 */
export class SessionCache {
  readonly #loader: ModelLoader;
  readonly #sessions = new Map<string, Promise<OrtSession>>();
  readonly #data = new Map<string, Promise<unknown>>();
  #tail: Promise<unknown> = Promise.resolve();

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
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      });
      return this.#serialised(session);
    } catch (cause) {
      throw new FaceError("model_unavailable", `Cannot load model ${entry.id}: invalid ONNX`, {
        cause,
      });
    }
  }

  /**
   * A data file beside the models (e.g. a recipe's projection), read with the same loader and
   * parsed once per isolate; a failed load or parse is not cached.
   *
   * @throws {FaceError} `model_unavailable` when the file cannot be read or parsed.
   */
  data<T>(file: { id: string; file: string }, parse: (bytes: Uint8Array) => T): Promise<T> {
    const key = `data:${file.id}`;
    let p = this.#data.get(key) as Promise<T> | undefined;
    if (!p) {
      p = this.#loader(file as ModelEntry).then(parse).catch((cause) => {
        throw new FaceError(
          "model_unavailable",
          `Cannot load ${file.id}: ${file.file} unavailable`,
          {
            cause,
          },
        );
      });
      this.#data.set(key, p);
      p.catch(() => this.#data.delete(key));
    }
    return p;
  }

  /** Runs of `session` wait for every earlier run of this cache. */
  #serialised(session: OrtSession): OrtSession {
    const run = session.run.bind(session) as (...args: unknown[]) => Promise<unknown>;
    const queued = (...args: unknown[]) => {
      const result = this.#tail.then(() => run(...args));
      this.#tail = result.catch(() => {});
      return result;
    };
    return new Proxy(session, {
      get: (target, prop) => {
        if (prop === "run") return queued;
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  }
}

/**
 * A {@linkcode ModelLoader} reading `models/<file>` relative to this repository (Deno entry).
 */
export function fileModelLoader(dir: URL = new URL("../../models/", import.meta.url)): ModelLoader {
  return (entry) => Deno.readFile(new URL(entry.file, dir));
}
