/**
 * The composition root: builds the dependencies of the HTTP app and the CLIs from a configuration
 * (stores on one backend, model sessions, keys, the use cases' deps). Imports `lib/` and `models/`;
 * `functions/` and `cli/` import only this file.
 *
 * @module
 */
export * from "./composed_deps.ts";
export * from "./compose.ts";
export * from "./master_key.ts";
export * from "./deno.ts";
