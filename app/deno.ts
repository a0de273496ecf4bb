/**
 * The composition on Deno: the models loaded lazily from `models/`, the master key read from its
 * file. Used by the Deno server (`functions/main.ts`) and by the CLIs' local mode.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { fileModelLoader } from "../lib/onnx/mod.ts";
import { composeDeps } from "./compose.ts";
import { type ComposedDeps, consoleLogger } from "./composed_deps.ts";
import { resolveMasterKey } from "./master_key.ts";

/**
 * Builds the dependencies on Deno ({@linkcode composeDeps}), the models loaded lazily from
 * `models/`, the master key read from its file ({@linkcode resolveMasterKey}; created when
 * `createMasterKey`, as `deno task dev` does). Release them with `closeDeps` (`compose.ts`).
 *
 * @throws {FaceError} `store_unavailable` when the store cannot be opened; `invalid_request`
 *   without a master key.
 */
export async function composeOnDeno(
  config: Config,
  createMasterKey = false,
): Promise<ComposedDeps> {
  const resolved = await resolveMasterKey(config, {
    create: createMasterKey,
    logger: consoleLogger,
  });
  return await composeDeps(resolved, { modelLoader: fileModelLoader() });
}
