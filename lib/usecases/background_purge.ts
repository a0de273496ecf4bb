/**
 * Opportunistic purging: a match request on a collection starts, in the background, a purge of its
 * expired faces, at most once per collection per interval in each isolate. The request neither
 * waits for it nor fails with it; the scheduled purge (`deno task retention purge`, the Worker's
 * cron) remains the guarantee.
 *
 * @module
 */
import type { UseCaseDeps } from "./use_case_deps.ts";
import { purgeExpired, type PurgeReport } from "./purge_expired.ts";

/** Options for {@linkcode BackgroundPurge}. */
export interface BackgroundPurgeOptions {
  /** Least time between two purges of one collection, in ms. Default: 10 minutes. */
  intervalMs?: number;
  /** Receives a purge that deleted something. Default: nothing. */
  onPurged?: (report: PurgeReport) => void;
  /** Receives a purge's failure (it is never thrown). Default: nothing. */
  onError?: (collection: string, error: unknown) => void;
  /** Clock of the interval, in ms. Default: `Date.now`. */
  now?: () => number;
}

/**
 * Starts background purges, throttled per collection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackgroundPurge } from "./background_purge.ts";
 * let t = 0;
 * const purges = new BackgroundPurge({ intervalMs: 1000, now: () => t });
 * assert.equal(purges.due("m|gate"), true);
 * assert.equal(purges.due("m|gate"), false);
 * t = 1000;
 * assert.equal(purges.due("m|gate"), true);
 * ```
 */
export class BackgroundPurge {
  readonly #intervalMs: number;
  readonly #options: BackgroundPurgeOptions;
  readonly #last = new Map<string, number>();
  readonly #running = new Set<Promise<unknown>>();

  /** @param options See {@linkcode BackgroundPurgeOptions}. */
  constructor(options: BackgroundPurgeOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 10 * 60_000;
    this.#options = options;
  }

  /** Whether `key` may be purged now; when it may, the interval restarts from now. */
  due(key: string): boolean {
    const now = (this.#options.now ?? Date.now)();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.#intervalMs) return false;
    if (this.#last.size >= 10_000) this.#last.clear();
    this.#last.set(key, now);
    return true;
  }

  /**
   * Starts a purge of `collection` unless one started within the interval; returns at once and
   * never throws.
   */
  request(deps: UseCaseDeps, collection: string): void {
    if (!this.due(`${deps.model}|${collection}`)) return;
    const run = (async () => {
      // After the current request's own work.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const report = await purgeExpired(deps, { collection });
      if (report.purged_faces > 0) this.#options.onPurged?.(report);
    })().catch((err) => this.#options.onError?.(collection, err));
    this.#running.add(run);
    run.finally(() => this.#running.delete(run));
  }

  /** Resolves when every purge started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }
}
