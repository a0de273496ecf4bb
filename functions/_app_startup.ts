/**
 * How an entry that builds its app on the first request (the Workers entry, each `deno serve`
 * isolate) starts it once, and answers while it cannot.
 *
 * @module
 */
import { consoleLogger } from "./_context.ts";
import { problemResponse } from "./problem.ts";

/**
 * Wraps `start` so it runs once per isolate: every call shares the first call's promise, and a
 * failed start is forgotten, so the next call tries again.
 */
export function startOnce<A extends unknown[], T>(
  start: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let started: Promise<T> | undefined;
  return (...args: A) => {
    if (!started) {
      const attempt = start(...args);
      started = attempt;
      attempt.catch(() => {
        if (started === attempt) started = undefined;
      });
    }
    return started;
  };
}

/**
 * The answer to a request whose app could not start (bad configuration): logs `msg` with the
 * reason and a request id, and returns a generic 500 problem carrying that id.
 */
export function startupFailure(msg: string, err: unknown): Response {
  const requestId = crypto.randomUUID();
  consoleLogger.error({
    msg,
    request_id: requestId,
    error: err instanceof Error ? err.message : String(err),
  });
  return problemResponse(new Error("startup failed"), requestId);
}
