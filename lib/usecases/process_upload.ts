/**
 * The upload webhook's action as a use case: a verified delivery's event is parsed, checked
 * against the collections its secret may touch, its image fetched under the fetch policy, and
 * enrolled, verified or identified ({@linkcode runUploadAction}); the result may then be sent,
 * signed, to the callback URL. The HTTP layer keeps what is HTTP: the signature, the idempotent
 * replay of deliveries and the answer.
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import {
  parseUploadEvent,
  safeFetch,
  type SafeFetchOptions,
  signWebhook,
  type UploadData,
} from "../webhook/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";
import { runUploadAction } from "./run_upload_action.ts";

/** How deliveries fetch images and send callbacks. */
export type UploadFetchPolicy = Omit<
  SafeFetchOptions,
  "maxBytes" | "tooLargeCode" | "method" | "headers" | "body"
>;

/** A verified delivery. */
export interface UploadDelivery {
  /** Its `webhook-id`. */
  id: string;
  /** Its JSON body. */
  body: string;
  /** Which secret verified it (0-based), for the caller's key id. */
  secretIndex: number;
  /** The collections that secret may touch, or `"*"`. */
  scope: "*" | readonly string[];
  /** The request id, for audit events. */
  requestId?: string;
}

/** What a processed delivery answers. */
export interface ProcessedUpload {
  /** The delivery's id. */
  id: string;
  /** `enroll`, `verify` or `identify`. */
  action: UploadData["action"];
  /** What the matching route answers. */
  result: unknown;
}

/**
 * Processes a verified delivery.
 *
 * @param onEvent Called with the parsed event before anything is fetched (the caller indexes its
 *   answer under the event's collection and subject).
 * @throws {FaceError} `invalid_request` / `unsupported_event` for a bad event, `forbidden` for a
 *   collection outside the secret's scope, the fetch's errors (`url_not_allowed`,
 *   `upstream_failed`, `image_too_large`), and the action's.
 */
export async function processUpload(
  deps: UseCaseDeps,
  delivery: UploadDelivery,
  fetchPolicy: UploadFetchPolicy,
  onEvent: (data: UploadData) => void = () => {},
): Promise<ProcessedUpload> {
  const event = parseUploadEvent(delivery.body);
  onEvent(event.data);
  const { scope } = delivery;
  if (scope !== "*" && !scope.includes(event.data.collection)) {
    throw new FaceError(
      "forbidden",
      `Cannot accept webhook: its secret may not touch collection ${event.data.collection}`,
      { details: { collection: event.data.collection } },
    );
  }
  const image = await safeFetch(event.data.url, {
    ...fetchPolicy,
    maxBytes: deps.limits.maxBytes,
    tooLargeCode: "image_too_large",
  });
  return {
    id: delivery.id,
    action: event.data.action,
    result: await runUploadAction(deps, event.data, image.bytes, {
      admin: false,
      keyId: `webhook-secret-${delivery.secretIndex + 1}`,
      requestId: delivery.requestId,
    }),
  };
}

/** How a callback went: its message id, and the answer's status or the failure. */
export type UploadCallbackOutcome =
  | { sent: true; id: string; status: number }
  | { sent: false; id: string; code: string; error: string };

/**
 * Sends a processed delivery to the callback URL, signed with `secret` (Standard Webhooks, type
 * `upload.processed`). Never throws: a failure is the outcome.
 *
 * @param nowMs The clock, in ms since the epoch.
 * @param maxBytes Largest callback answer read.
 */
export async function sendUploadCallback(
  processed: ProcessedUpload,
  target: { url: string; secret: string; nowMs: number; maxBytes: number },
  fetchPolicy: UploadFetchPolicy,
): Promise<UploadCallbackOutcome> {
  const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const timestamp = Math.floor(target.nowMs / 1000);
  const body = JSON.stringify({
    type: "upload.processed",
    timestamp: new Date(timestamp * 1000).toISOString(),
    data: processed,
  });
  try {
    const res = await safeFetch(target.url, {
      ...fetchPolicy,
      method: "POST",
      body,
      maxBytes: target.maxBytes,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(target.secret, id, timestamp, body),
      },
    });
    return { sent: true, id, status: res.status };
  } catch (err) {
    return {
      sent: false,
      id,
      code: err instanceof FaceError ? err.code : "internal_error",
      error: err instanceof Error ? err.message : String(err),
    };
  }
}
