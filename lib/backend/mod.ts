/**
 * The backend of a process: {@linkcode openBackend} opens faces, API keys, idempotency records
 * and rate limits on one connection. Other folders import only this file.
 *
 * @module
 */

export * from "./open_backend.ts";
