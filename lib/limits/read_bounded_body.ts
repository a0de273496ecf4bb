/**
 * Reads a request body within a byte limit and a time budget, holding only the bytes that
 * actually arrived (never an allocation sized by a declared length).
 *
 * @module
 */
import { FaceError } from "../errors.ts";
import type { ByteBudget } from "./byte_budget.ts";

/** Options for {@linkcode readBoundedBody}. */
export interface ReadBoundedBodyOptions {
  /** Largest body in bytes. */
  maxBytes: number;
  /** The `Content-Length` the client declared, if any; checked before a byte is read. Default: none. */
  declaredLength?: number;
  /** Longest wait for the next chunk, in ms. Default: 10 000. */
  idleTimeoutMs?: number;
  /** Longest time for the whole body, in ms (from the call). Default: 30 000. */
  totalTimeoutMs?: number;
  /** Shared budget of bytes held by all bodies at once; bytes are reserved as they arrive. Default: none. */
  budget?: ByteBudget;
  /** What is read, for messages. Default: `"request body"`. */
  what?: string;
}

/** A body read by {@linkcode readBoundedBody}. */
export interface BoundedBody {
  /** The bytes, exactly as many as arrived. */
  bytes: Uint8Array;
  /** Gives the bytes back to the budget (call once, when the request is done). */
  release(): void;
}

/**
 * Reads `stream` to the end within the limits.
 *
 * @param stream The body stream (`null` reads as empty).
 * @param options See {@linkcode ReadBoundedBodyOptions}.
 * @returns The bytes and a release function for the budget.
 * @throws {FaceError} `payload_too_large` when the declared or streamed size exceeds `maxBytes`
 *   (the declared size is refused before reading); `request_timeout` when a chunk does not arrive
 *   within `idleTimeoutMs` or the body within `totalTimeoutMs`; `overloaded` when the shared
 *   budget is exhausted; `client_closed_request` when the stream fails (the client went away).
 *   On every failure the stream is cancelled and reserved bytes are released.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBoundedBody } from "./read_bounded_body.ts";
 * const body = await readBoundedBody(new Response("hello").body, { maxBytes: 5 });
 * assert.equal(new TextDecoder().decode(body.bytes), "hello");
 * await assert.rejects(
 *   readBoundedBody(new Response("hello!").body, { maxBytes: 5 }),
 *   { code: "payload_too_large" },
 * );
 * ```
 */
export async function readBoundedBody(
  stream: ReadableStream<Uint8Array> | null,
  options: ReadBoundedBodyOptions,
): Promise<BoundedBody> {
  const { maxBytes, budget } = options;
  const what = options.what ?? "request body";
  const idleMs = options.idleTimeoutMs ?? 10_000;
  const totalMs = options.totalTimeoutMs ?? 30_000;
  const tooLarge = () =>
    new FaceError(
      "payload_too_large",
      `Cannot read ${what}: it exceeds the limit of ${maxBytes} bytes`,
      { details: { limit: maxBytes } },
    );
  if (options.declaredLength !== undefined && options.declaredLength > maxBytes) {
    await stream?.cancel().catch(() => {});
    throw tooLarge();
  }
  let reserved = 0;
  const release = () => {
    budget?.release(reserved);
    reserved = 0;
  };
  if (stream === null) return { bytes: new Uint8Array(0), release };

  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const deadline = Date.now() + totalMs;
  try {
    for (;;) {
      const left = deadline - Date.now();
      const wait = Math.min(idleMs, left);
      const idle = wait === idleMs;
      const result = await readWithin(reader, wait, () =>
        new FaceError(
          "request_timeout",
          idle
            ? `Cannot read ${what}: no data arrived for ${idleMs / 1000} s`
            : `Cannot read ${what}: it did not arrive within ${totalMs / 1000} s`,
          { details: { timeout_ms: idle ? idleMs : totalMs, received: size } },
        ));
      if (result.done) break;
      const chunk = result.value;
      size += chunk.byteLength;
      if (size > maxBytes) throw tooLarge();
      if (budget !== undefined) {
        if (!budget.tryReserve(chunk.byteLength)) {
          throw new FaceError(
            "overloaded",
            `Cannot read ${what}: the server holds too many request bodies; retry in 1 s`,
            { details: { retry_after: 1 } },
          );
        }
        reserved += chunk.byteLength;
      }
      chunks.push(chunk);
    }
  } catch (err) {
    release();
    reader.cancel().catch(() => {});
    if (err instanceof FaceError) throw err;
    throw new FaceError(
      "client_closed_request",
      `Cannot read ${what}: the client closed the connection`,
      { cause: err },
    );
  }
  reader.releaseLock();
  if (chunks.length === 1) return { bytes: chunks[0], release };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, release };
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
  timeout: () => FaceError,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (ms <= 0) throw timeout();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
