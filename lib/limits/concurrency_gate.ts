/**
 * Admission control for expensive work (the face pipeline): at most `limit` run at once, at most
 * `queue` more wait in FIFO order, and the rest are refused at once.
 *
 * @module
 */
import { FaceError } from "../errors.ts";

/** Options for {@linkcode ConcurrencyGate}. */
export interface ConcurrencyGateOptions {
  /** Most holders at once (≥ 1). */
  limit: number;
  /** Most waiters (≥ 0); a request beyond it is refused. */
  queue: number;
  /** Seconds a refused client is told to wait (`Retry-After`). Default: 1. */
  retryAfterSeconds?: number;
}

/**
 * A counting semaphore with a bounded FIFO queue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConcurrencyGate } from "./concurrency_gate.ts";
 * const gate = new ConcurrencyGate({ limit: 1, queue: 1 });
 * const first = await gate.acquire();
 * const second = gate.acquire(); // queued
 * await assert.rejects(gate.acquire(), { code: "overloaded" }); // queue full
 * first();
 * (await second)();
 * assert.equal(gate.running, 0);
 * ```
 */
export class ConcurrencyGate {
  readonly limit: number;
  readonly queue: number;
  readonly retryAfterSeconds: number;
  #running = 0;
  #waiters: Array<() => void> = [];

  /** @throws {RangeError} When `limit` < 1 or `queue` < 0. */
  constructor(options: ConcurrencyGateOptions) {
    if (!Number.isSafeInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`ConcurrencyGate: limit must be ≥ 1, got ${options.limit}`);
    }
    if (!Number.isSafeInteger(options.queue) || options.queue < 0) {
      throw new RangeError(`ConcurrencyGate: queue must be ≥ 0, got ${options.queue}`);
    }
    this.limit = options.limit;
    this.queue = options.queue;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }

  /** Holders now. */
  get running(): number {
    return this.#running;
  }

  /** Waiters now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /**
   * Waits for a slot.
   *
   * @returns A function that releases the slot (call it exactly once; later calls do nothing).
   * @throws {FaceError} `overloaded` (with `details.retry_after`) when all slots are taken and the
   *   queue is full.
   */
  async acquire(): Promise<() => void> {
    if (this.#running < this.limit) {
      this.#running++;
    } else if (this.#waiters.length < this.queue) {
      // The slot is handed over by release(): #running stays the same.
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    } else {
      throw new FaceError(
        "overloaded",
        `Cannot start the request: ${this.limit} are running and ${this.queue} waiting; ` +
          `retry in ${this.retryAfterSeconds} s`,
        { details: { retry_after: this.retryAfterSeconds } },
      );
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#running--;
    };
  }
}
