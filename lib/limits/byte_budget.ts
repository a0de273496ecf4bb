/**
 * A process-wide budget of bytes held at once (request bodies being received), shared by every
 * request of an isolate.
 *
 * @module
 */

/**
 * Counts bytes reserved by concurrent holders against a fixed capacity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteBudget } from "./byte_budget.ts";
 * const budget = new ByteBudget(100);
 * assert.equal(budget.tryReserve(60), true);
 * assert.equal(budget.tryReserve(60), false); // would exceed 100
 * budget.release(60);
 * assert.equal(budget.used, 0);
 * ```
 */
export class ByteBudget {
  #used = 0;

  /**
   * @param capacity Most bytes held at once (a positive integer).
   * @throws {RangeError} When `capacity` is not a positive integer.
   */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`ByteBudget: capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Reserves `n` bytes if they fit.
   *
   * @param n Bytes to reserve (≥ 0).
   * @returns True when reserved; false (nothing reserved) when it would exceed the capacity.
   */
  tryReserve(n: number): boolean {
    if (this.#used + n > this.capacity) return false;
    this.#used += n;
    return true;
  }

  /** Gives back `n` previously reserved bytes. */
  release(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}
