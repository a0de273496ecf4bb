/**
 * Fail fast (issue 20, item 6): with redis-server frozen (SIGSTOP) behind the Upstash bridge,
 * every request that needs the store answers 503 `store_unavailable` within one store deadline
 * (3 s) plus its own work, later ones at once, and `/v1/detect` — which never touches the store —
 * keeps answering 200 beside them; after SIGCONT the next request is served.
 *
 * @module
 */
import assert from "node:assert/strict";
import { openBackend } from "../../lib/backend/mod.ts";
import { parseConfig } from "../../lib/config.ts";
import { DEFAULT_REDIS_TIMEOUT_MS, PROBE_GAP_MS } from "../../lib/store/mod.ts";
import { createApp } from "../../functions/app.ts";
import { createLimits } from "../../functions/_limits.ts";
import { backendDeps, type CapturedLog, PHOTOS, postImage } from "../functions/_fixtures.ts";
import { testKeyring } from "../_master_key.ts";
import { deleteRedisKeys, redisTest, withRedis } from "./_redis_fixture.ts";

interface Timed {
  route: string;
  status: number;
  code?: string;
  ms: number;
}

redisTest(
  "with redis-server frozen, store requests answer 503 within the 3 s deadline (later ones at once) and /v1/detect answers 200 beside them",
  async () => {
    await withRedis(async ({ redis, bridge }) => {
      const prefix = `dl${crypto.randomUUID().slice(0, 8)}:`;
      const backend = await openBackend(
        { kind: "upstash", url: bridge.url, token: bridge.token, prefix },
        { encryption: await testKeyring() },
      );
      const config = parseConfig({
        FACEGATE_AUTH: "off",
        FACEGATE_RATE_LIMIT: "0",
        FACEGATE_STORE: "memory",
      });
      const logs: CapturedLog = [];
      const limits = createLimits({
        maxConcurrent: 2,
        maxQueued: 32,
        maxInflightBodyBytes: 64 << 20,
      });
      const app = createApp(backendDeps(backend, config, logs, { limits }));
      const call = async (route: string, photo: string): Promise<Timed> => {
        const t0 = performance.now();
        const res = await app.request(route, postImage(photo));
        const body = await res.json();
        return { route, status: res.status, code: body.code, ms: performance.now() - t0 };
      };
      const enroll = (s: string) =>
        call(`/v1/collections/gate/subjects/${s}/faces`, PHOTOS.arnold1);
      const verify = () => call("/v1/collections/gate/subjects/serena/verify", PHOTOS.serena2);
      const identify = () => call("/v1/collections/gate/identify", PHOTOS.serena2);
      const detect = () => call("/v1/detect", PHOTOS.karzai);
      try {
        assert.equal(
          (await call("/v1/collections/gate/subjects/serena/faces", PHOTOS.serena1)).status,
          201,
        );
        assert.equal((await verify()).status, 200);
        assert.equal((await detect()).status, 200);

        Deno.kill(redis.pid, "SIGSTOP");
        let first: Timed[], second: Timed[];
        try {
          first = await Promise.all([
            enroll("a1"),
            verify(),
            identify(),
            enroll("a2"),
            detect(),
            verify(),
            detect(),
            detect(),
          ]);
          second = await Promise.all([enroll("b1"), verify(), identify(), enroll("b2"), detect()]);
        } finally {
          Deno.kill(redis.pid, "SIGCONT");
        }
        console.error(
          "frozen redis, first wave: " +
            first.map((r) => `${r.route.split("/").at(-1)} ${r.status} ${r.ms.toFixed(0)} ms`).join(
              ", ",
            ) +
            "; second wave: " +
            second.map((r) => `${r.route.split("/").at(-1)} ${r.status} ${r.ms.toFixed(0)} ms`)
              .join(", "),
        );
        const deadline = DEFAULT_REDIS_TIMEOUT_MS;
        assert.equal(deadline, 3000);
        for (const r of [...first, ...second]) {
          if (r.route === "/v1/detect") {
            assert.equal(r.status, 200, "detect never touches the store");
          } else {
            assert.deepEqual([r.status, r.code], [503, "store_unavailable"], r.route);
          }
          // One deadline (a call in flight when it froze, or the one probe) plus the pipeline's
          // own work; detect waits at most one deadline in the gate behind a stuck request.
          assert.ok(r.ms < deadline + 1500, `${r.route} took ${r.ms.toFixed(0)} ms`);
        }
        // While it stays down, all but the one probing request fail at once.
        const fast = second.filter((r) => r.route !== "/v1/detect" && r.ms < 1000);
        assert.ok(fast.length >= 3, `${fast.length} of 4 failed fast`);
        // Thawed: once the short gap after the last failure is over, the next request probes,
        // succeeds, and the store is back.
        await new Promise((r) => setTimeout(r, PROBE_GAP_MS));
        assert.equal((await enroll("thawed")).status, 201);
        assert.equal((await verify()).status, 200);
        assert.equal(
          logs.filter((l) => l.level === "error" && /stack/.test(String(l.error))).length,
          0,
        );
      } finally {
        await deleteRedisKeys(redis.port, `${prefix}*`);
        await backend.close();
      }
    });
  },
);
