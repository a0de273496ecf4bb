/**
 * Measures `purgeExpired` on Deno KV and on Redis (a redis-server started here, through the
 * Upstash bridge): N expired faces (written a year ago, 5 per subject, sealed 512-d templates) and
 * 100 younger ones under a 30-day retention period; the purge (cold: it builds the gallery index)
 * and a second one with nothing left to do, with the backend's idempotency store as a server has it
 * (each purged face's remembered answers are erased). Prints one JSON line per store.
 *
 * Usage: `deno run -A bench/purge_expired.ts [N=1000]`; with `BENCH_NO_IDEMPOTENCY=1` the purge
 * runs without an idempotency store (nothing to erase), for comparison.
 *
 * @module
 */
import { type Backend, openBackend } from "../lib/backend/mod.ts";
import { useCaseDeps } from "../app/mod.ts";
import { purgeExpired } from "../lib/usecases/mod.ts";
import { parseConfig } from "../lib/config.ts";
import { defaultRecipe, MODEL_MANIFEST } from "../models/manifest.ts";
import { SessionCache } from "../lib/onnx/mod.ts";
import { MasterKeyring } from "../lib/store/mod.ts";
import { startRedis } from "../tools/redis_harness.ts";
import { startBridge } from "../tools/upstash_bridge.ts";

const DAY = 86_400_000;

function unitVector(dim = 512): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) {
    v[i] = Math.random() - 0.5;
    n += v[i] * v[i];
  }
  for (let i = 0; i < dim; i++) v[i] /= Math.sqrt(n);
  return v;
}

/** Fills `backend`, purges twice and returns the measurements. */
async function measure(kind: string, backend: Backend, n: number, clock: { ms: number }) {
  const ref = { model: defaultRecipe().id, collection: "bench" };
  clock.ms = Date.now() - 365 * DAY;
  for (let i = 0; i < n; i++) {
    await backend.faces.addFace(ref, `s${Math.floor(i / 5)}`, {
      embedding: unitVector(),
      quality: 0.9,
    });
  }
  clock.ms = Date.now();
  for (let i = 0; i < 100; i++) {
    await backend.faces.addFace(ref, `young${Math.floor(i / 5)}`, {
      embedding: unitVector(),
      quality: 0.9,
    });
  }
  await backend.policies.set(ref, {
    updated_at: new Date().toISOString(),
    retention: { days: 30 },
  });
  const deps = useCaseDeps({
    pipeline: {
      sessions: new SessionCache(() => Promise.reject(new Error("the purge loads no model"))),
      manifest: MODEL_MANIFEST,
    },
    store: backend.faces,
    config: parseConfig({ FACEGATE_STORE: "memory", FACEGATE_PURGE_INTERVAL_MINUTES: "0" }),
    policies: backend.policies,
    audits: backend.audit,
    // As a server has it: the purge erases the remembered answers of what it deletes.
    idempotency: Deno.env.get("BENCH_NO_IDEMPOTENCY") ? undefined : backend.idempotency,
    logger: { info: () => {}, error: () => {} },
  });
  const t0 = performance.now();
  const first = await purgeExpired(deps, { collection: "bench" });
  const purgeMs = performance.now() - t0;
  const t1 = performance.now();
  const second = await purgeExpired(deps, { collection: "bench" });
  const secondMs = performance.now() - t1;
  return {
    store: kind,
    expired: n,
    kept: (await backend.faces.gallery(ref)).faceIds.length,
    purged_faces: first.purged_faces,
    purged_subjects: first.purged_subjects,
    purge_ms: Math.round(purgeMs),
    ms_per_face: +(purgeMs / n).toFixed(2),
    second_purge_ms: Math.round(secondMs),
    second_purged: second.purged_faces,
  };
}

if (import.meta.main) {
  const n = Number(Deno.args[0] ?? 1000);
  const keyring = await MasterKeyring.fromBytes([crypto.getRandomValues(new Uint8Array(32))]);
  const clock = { ms: Date.now() };
  const now = () => new Date(clock.ms);
  const dir = await Deno.makeTempDir({ prefix: "facegate_purge_bench_" });
  try {
    const kv = await openBackend({ kind: "kv", path: `${dir}/b.kv` }, { encryption: keyring, now });
    console.log(JSON.stringify(await measure("kv", kv, n, clock)));
    await kv.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const redis = await startRedis();
  if (redis === null) throw new Error("redis-server is not installed");
  const bridge = await startBridge({ redisPort: redis.port, token: "bench" });
  try {
    const backend = await openBackend(
      { kind: "upstash", url: bridge.url, token: "bench", prefix: "purge:" },
      { encryption: keyring, now },
    );
    console.log(JSON.stringify(await measure("redis", backend, n, clock)));
  } finally {
    await bridge.close();
    await redis.stop();
  }
}
