/**
 * The `abuse` bench section: normal traffic (detect on LFW photos, 2 clients) alone, then the same
 * traffic while 300 slow uploads (20 MB declared, 1 KB sent, reopened when answered) and a loop of
 * 49 MP 16-bit PNGs (381 KB on the wire) hit the same server. Reports the normal requests'
 * p50/p99 in both phases, the server's RSS, and what the hostile requests got.
 *
 * @module
 */
import { encodeBlankPng } from "../tests/lib/image/_fixtures.ts";
import { rssMib, startBenchServer } from "./_server.ts";
import { dataDir } from "./_data.ts";
import { percentile, round } from "./_stats.ts";

/** Options of {@linkcode runAbuse}. */
export interface AbuseOptions {
  /** Seconds per phase. Default: 15. */
  seconds?: number;
  /** Slow uploads kept open during the attack. Default: 300. */
  slowUploads?: number;
  /** Parallel large-PNG senders during the attack. Default: 8. */
  largeImages?: number;
}

/** One phase's numbers. */
export interface AbusePhase {
  phase: "baseline" | "attack";
  normal_requests: number;
  normal_errors: number;
  normal_p50_ms: number;
  normal_p99_ms: number;
  rss_start_mib: number;
  rss_max_mib: number;
  /** Statuses the slow uploads got (attack only). */
  slow_upload_statuses?: Record<string, number>;
  /** Statuses and p50 latency of the large PNGs (attack only). */
  large_image_statuses?: Record<string, number>;
  large_image_p50_ms?: number;
}

/** The section's report. */
export interface AbuseReport {
  seconds: number;
  slow_uploads: number;
  large_images: number;
  large_image: string;
  phases: AbusePhase[];
}

/** Runs the section against a fresh `functions/main.ts` (memory store, auth off, no rate limit). */
export async function runAbuse(options: AbuseOptions = {}): Promise<AbuseReport> {
  const seconds = options.seconds ?? 15;
  const slowCount = options.slowUploads ?? 300;
  const largeCount = options.largeImages ?? 8;
  const photos = (await Deno.readTextFile(`${dataDir()}/faces/manifest.csv`)).trim().split("\n")
    .slice(1).map((l) => l.split(",")).filter((r) => r[2] === "lfw-deepfunneled").slice(0, 20);
  const images = await Promise.all(
    photos.map((r) => Deno.readFile(`${dataDir()}/faces/${r[0]}`)),
  );
  const png =
    (await encodeBlankPng({ width: 7000, height: 7000, colorType: 6, bitDepth: 16 })) as Uint8Array<
      ArrayBuffer
    >;
  const server = await startBenchServer();
  const { base, port } = server;
  const child = { pid: server.pid };
  try {
    // Warm the models so the baseline is not a cold start.
    await (await fetch(`${base}/v1/detect`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: images[0],
    })).arrayBuffer();

    const phase = async (attack: boolean): Promise<AbusePhase> => {
      const stop = performance.now() + seconds * 1000;
      const rssStart = rssMib(child.pid);
      let rssMax = rssStart;
      const sampler = setInterval(() => {
        try {
          rssMax = Math.max(rssMax, rssMib(child.pid));
        } catch { /* gone */ }
      }, 100);
      const lat: number[] = [];
      let errors = 0, k = 0;
      const normal = async () => {
        while (performance.now() < stop) {
          const t = performance.now();
          try {
            const r = await fetch(`${base}/v1/detect`, {
              method: "POST",
              headers: { "content-type": "image/jpeg" },
              body: images[k++ % images.length],
            });
            await r.arrayBuffer();
            if (r.status !== 200) errors++;
          } catch {
            errors++;
          }
          lat.push(performance.now() - t);
        }
      };
      const slowStatuses: Record<string, number> = {};
      const slow = async (i: number) => {
        const path = i % 3 === 0 ? "/v1/detect" : "/v1/webhooks/upload";
        while (performance.now() < stop) {
          let conn: Deno.Conn | undefined;
          try {
            conn = await Deno.connect({ hostname: "127.0.0.1", port });
            await conn.write(new TextEncoder().encode(
              `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n` +
                "Content-Length: 20000000\r\n\r\n",
            ));
            await conn.write(new Uint8Array(1024));
            const buf = new Uint8Array(512);
            const c = conn;
            const n = await Promise.race([
              c.read(buf),
              new Promise<null>((r) =>
                setTimeout(() => r(null), Math.max(0, stop - performance.now()))
              ),
            ]);
            const status = n ? /HTTP\/1\.1 (\d+)/.exec(new TextDecoder().decode(buf))?.[1] : "open";
            slowStatuses[status ?? "other"] = (slowStatuses[status ?? "other"] ?? 0) + 1;
          } catch {
            slowStatuses.network = (slowStatuses.network ?? 0) + 1;
          } finally {
            try {
              conn?.close();
            } catch { /* closed */ }
          }
        }
      };
      const largeStatuses: Record<string, number> = {};
      const largeLat: number[] = [];
      const large = async () => {
        while (performance.now() < stop) {
          const t = performance.now();
          try {
            const r = await fetch(`${base}/v1/detect`, {
              method: "POST",
              headers: { "content-type": "image/png" },
              body: png,
            });
            await r.arrayBuffer();
            largeStatuses[r.status] = (largeStatuses[r.status] ?? 0) + 1;
          } catch {
            largeStatuses.network = (largeStatuses.network ?? 0) + 1;
          }
          largeLat.push(performance.now() - t);
        }
      };
      const work = [normal(), normal()];
      if (attack) {
        for (let i = 0; i < slowCount; i++) work.push(slow(i));
        for (let i = 0; i < largeCount; i++) work.push(large());
      }
      await Promise.all(work);
      clearInterval(sampler);
      return {
        phase: attack ? "attack" : "baseline",
        normal_requests: lat.length,
        normal_errors: errors,
        normal_p50_ms: round(percentile(lat, 50)),
        normal_p99_ms: round(percentile(lat, 99)),
        rss_start_mib: round(rssStart),
        rss_max_mib: round(rssMax),
        ...(attack
          ? {
            slow_upload_statuses: slowStatuses,
            large_image_statuses: largeStatuses,
            large_image_p50_ms: round(percentile(largeLat, 50)),
          }
          : {}),
      };
    };
    const phases = [await phase(false), await phase(true)];
    return {
      seconds,
      slow_uploads: slowCount,
      large_images: largeCount,
      large_image: `7000×7000 16-bit RGBA PNG, ${png.length} bytes`,
      phases,
    };
  } finally {
    await server.stop();
  }
}

/** The BENCHMARKS.md section of a report. */
export function abuseMarkdown(r: AbuseReport & { measured_at?: string }): string[] {
  const fmt = (o?: Record<string, number>) =>
    o ? Object.entries(o).map(([k, v]) => `${k}: ${v}`).join(", ") : "–";
  const rows = r.phases.map((p) =>
    `| ${p.phase} | ${p.normal_requests} | ${p.normal_errors} | ${p.normal_p50_ms} | ${p.normal_p99_ms} | ${p.rss_start_mib} → ${p.rss_max_mib} | ${
      fmt(p.slow_upload_statuses)
    } | ${fmt(p.large_image_statuses)}${
      p.large_image_p50_ms === undefined ? "" : ` (p50 ${p.large_image_p50_ms} ms)`
    } |`
  );
  return [
    "## Abuse: hostile traffic beside normal traffic",
    "",
    `\`deno task bench abuse\` (bench/_abuse.ts), ${r.measured_at ?? ""}: two clients send`,
    `\`POST /v1/detect\` with LFW photos for ${r.seconds} s alone, then ${r.seconds} s while`,
    `${r.slow_uploads} connections each declare a 20 MB body and send 1 KB (a third to`,
    "`/v1/detect`, the rest to the webhook; reopened when answered) and",
    `${r.large_images} clients loop on a ${r.large_image}. Default limits (20 MiB bodies, 10 s`,
    "idle body timeout, pipeline gate = cores). RSS is the server process's, sampled every 100 ms.",
    "",
    "| phase | normal requests | errors | p50 ms | p99 ms | RSS MiB | slow uploads got | large PNGs got |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ];
}
