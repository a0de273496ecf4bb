/**
 * The scheduled purge of both entries: the Worker's cron trigger (`worker.ts`) and, where the
 * runtime offers `Deno.cron` (Deno Deploy, or `--unstable-cron`), the Deno entry (`main.ts`).
 *
 * @module
 */
import { purgeAllExpired } from "../lib/usecases/mod.ts";
import { type AppDeps, consoleLogger } from "./_context.ts";
import { useCaseDeps } from "../app/mod.ts";

/** When the scheduled purge runs: every hour, on the hour (cron syntax, UTC). */
export const PURGE_SCHEDULE = "0 * * * *";

/**
 * Purges every collection's expired faces (`purgeAllExpired`: retention periods and subject
 * expiries) and logs one `scheduled purge` line with the counts.
 *
 * @returns The faces purged.
 * @throws {Error} When a collection's purge failed (the others still ran), so the invocation
 *   shows as failed; {FaceError} `store_unavailable` when the collections cannot be listed.
 */
export async function scheduledPurge(deps: AppDeps): Promise<number> {
  const logger = deps.logger ?? consoleLogger;
  const startedAt = performance.now();
  const report = await purgeAllExpired(useCaseDeps(deps));
  const purged = report.collections.reduce((n, r) => n + r.purged_faces, 0);
  logger.info({
    msg: "scheduled purge",
    collections: report.collections.length,
    purged_faces: purged,
    purged_subjects: report.collections.reduce((n, r) => n + r.purged_subjects, 0),
    failed: report.failed.map((f) => f.collection),
    ms: Math.round(performance.now() - startedAt),
  });
  if (report.failed.length > 0) {
    throw new Error(`scheduled purge failed in ${report.failed.map((f) => f.collection)}`);
  }
  return purged;
}

/** `Deno.cron` where the runtime has it (Deno Deploy; `--unstable-cron` elsewhere). */
type DenoCron = (name: string, schedule: string, handler: () => Promise<void>) => Promise<void>;

/**
 * Registers {@linkcode scheduledPurge} with `Deno.cron` ({@linkcode PURGE_SCHEDULE}) when the
 * runtime offers it; a failed run is logged.
 *
 * @returns Whether it was registered.
 */
export function schedulePurgeOnDeno(deps: AppDeps): boolean {
  const cron = (Deno as unknown as { cron?: DenoCron }).cron;
  if (typeof cron !== "function") return false;
  const logger = deps.logger ?? consoleLogger;
  cron("facegate retention purge", PURGE_SCHEDULE, async () => {
    await scheduledPurge(deps).catch((err) =>
      logger.error({
        msg: "scheduled purge failed",
        error: err instanceof Error ? err.message : String(err),
      })
    );
  });
  return true;
}
