/**
 * The idempotency protocol of the HTTP layer, shared by every route that runs at most once per
 * caller key (the upload webhook's `webhook-id`): the first request takes a lease in the
 * idempotency store, its answer (2xx and 4xx alike) is kept for the TTL and replayed byte for
 * byte; a duplicate while the first still runs gets 409 `conflict` with `Retry-After`; a 5xx
 * answer releases the lease so a retry runs again; the same key with another body is 409.
 *
 * An answer that names subjects or faces is indexed under them (`mentions`), so deleting one of
 * them erases the answer (`IdempotencyStore.erase`). A replay of an erased key answers 409
 * `conflict` with `details.reason: "erased"` and does not run the request again: a retried enroll
 * never silently re-creates a subject that was deleted in the meantime; to enroll again, the
 * client sends a new key.
 *
 * @module
 */
import { FaceError } from "../lib/errors.ts";
import type {
  IdempotencyMentions,
  IdempotencyRecord,
  IdempotencyStore,
  StoredResponse,
} from "../lib/store/mod.ts";
import { problemResponse } from "./problem.ts";

/** How {@linkcode runIdempotent} runs one request. */
export interface RunIdempotentOptions {
  /** Where the records live. */
  store: IdempotencyStore;
  /** Record scope, e.g. `"webhook"`. */
  scope: string;
  /** The caller's key. */
  key: string;
  /** What the key is called in messages, e.g. `"webhook-id"`. */
  keyName: string;
  /** What is being done, for messages: `Cannot ${action}: ...`, e.g. `"accept webhook"`. */
  action: string;
  /** Fingerprint of the request (a body hash): the same key with another one is a conflict. */
  fingerprint: string;
  /** How long the first request may run before a retry may run it again, in ms. */
  leaseMs: number;
  /** How long the answer is kept for replays, in ms. */
  ttlMs: number;
  /** Header set to `"true"` on a replayed answer. */
  replayHeader: string;
  /** Request id and path, for problem answers. */
  requestId: string;
  /** The request path (the problem's `instance`). */
  instance: string;
  /**
   * Whom the answer to keep names (`findMentions`), so deletes can erase it; called after the
   * request ran. Default: nobody (the answer is never erased before its TTL).
   */
  mentions?: (response: StoredResponse) => IdempotencyMentions | undefined;
}

/**
 * Runs `handle` at most once per key.
 *
 * @param options See {@linkcode RunIdempotentOptions}.
 * @param handle Produces the answer; a thrown error becomes its problem answer.
 * @returns The answer of this run, or the replayed / conflict answer.
 * @throws The error of `handle` when its answer would be a 5xx (after releasing the lease), and
 *   the store's errors (`store_unavailable`, `conflict`).
 */
export async function runIdempotent(
  options: RunIdempotentOptions,
  handle: () => Promise<Response>,
): Promise<Response> {
  const { store, fingerprint } = options;
  const ref = { scope: options.scope, key: options.key };
  const claim = await store.claim(ref, fingerprint, options.leaseMs);
  if (!claim.claimed) return replay(claim.record, options);
  // Best effort: when the store itself is down, the lease expires after `leaseMs` instead.
  const release = () => store.release(ref, claim.token).catch(() => false);
  let res: Response;
  try {
    res = await handle();
  } catch (err) {
    res = problemResponse(err, options.requestId, { instance: options.instance });
    if (res.status >= 500) {
      await release();
      throw err;
    }
  }
  if (res.status >= 500) {
    await release();
    return res;
  }
  const response = await stored(res.clone());
  await store.complete(ref, claim.token, response, options.ttlMs, options.mentions?.(response));
  return res;
}

async function stored(res: Response): Promise<StoredResponse> {
  return {
    status: res.status,
    content_type: res.headers.get("content-type") ?? "application/json",
    body: await res.text(),
  };
}

function replay(record: IdempotencyRecord, options: RunIdempotentOptions): Response {
  if (record.state === "pending") {
    return problemResponse(
      new FaceError(
        "conflict",
        `Cannot ${options.action}: this ${options.keyName} is still being processed`,
        { details: { retry_after: 5 } },
      ),
      options.requestId,
      { instance: options.instance, headers: { "retry-after": "5" } },
    );
  }
  if (record.fingerprint !== options.fingerprint) {
    throw new FaceError(
      "conflict",
      `Cannot ${options.action}: this ${options.keyName} was already used with a different body`,
    );
  }
  if (record.state === "erased") {
    return problemResponse(
      new FaceError(
        "conflict",
        `Cannot ${options.action}: the answer to this ${options.keyName} was erased when a ` +
          "subject, face or collection it named was deleted; the request was not run again (send " +
          "it with a new key to run it)",
        { details: { reason: "erased", erased_at: record.erased_at } },
      ),
      options.requestId,
      { instance: options.instance, headers: { [options.replayHeader]: "true" } },
    );
  }
  const { status, content_type, body } = record.response;
  if (status === 204 || status === 205 || status === 304) {
    return new Response(null, { status, headers: { [options.replayHeader]: "true" } });
  }
  return new Response(body, {
    status,
    headers: { "content-type": content_type, [options.replayHeader]: "true" },
  });
}
