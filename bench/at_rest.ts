/**
 * The cost of encryption at rest for identify, on the default store (Deno KV, a local SQLite
 * file): the same synthetic gallery (512-d) stored plain (`FACEGATE_ENCRYPTION=off`) and sealed
 * (AES-256-GCM per face), then identify the way the route does it — the store's gallery version
 * validates a per-isolate int8 index (`GalleryCache`). A cold identify reads every face, decrypts
 * it and builds the index; a warm one reads the version and scans the index, so decryption is
 * paid once per gallery version.
 *
 * ```sh
 * nice -n 10 deno run -A bench/at_rest.ts 10000 100000 > at_rest.json
 * ```
 *
 * @module
 */
import { GalleryCache } from "../lib/match/mod.ts";
import {
  type FaceStore,
  generateMasterKey,
  KvFaceStore,
  MasterKeyring,
  type StoreEncryption,
} from "../lib/store/mod.ts";
import { syntheticGallery } from "./_synthetic_gallery.ts";
import { percentile, round } from "./_stats.ts";

/** One measured variant. */
export interface AtRestRow {
  faces: number;
  encryption: "off" | "aes-256-gcm";
  /** Enrolment through `addFace`, 16 concurrent writers, faces per second. */
  load_faces_per_s: number;
  /** `gallery()` alone (read + decrypt), median of 3, ms. */
  gallery_ms: number;
  /** First identify: version + gallery + int8 index build + search, median of 3 cold caches, ms. */
  cold_identify_ms: number;
  /** Warm identify: version read + index search, p50 of 50, ms. */
  warm_identify_p50_ms: number;
}

async function load(store: FaceStore, faces: number): Promise<number> {
  const g = syntheticGallery({ faces, genuineDistance: 0.9, seed: 7 });
  const ref = { model: "bench@1", collection: "atrest" };
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < faces) {
      const i = next++;
      await store.addFace(ref, g.subjects[g.subjectIndex[i]], {
        embedding: g.vectors.slice(i * g.dim, (i + 1) * g.dim),
        quality: 0.9,
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return faces / ((performance.now() - t0) / 1000);
}

/** Measures one size with encryption off and on. */
export async function atRest(faces: number): Promise<AtRestRow[]> {
  const rows: AtRestRow[] = [];
  const ref = { model: "bench@1", collection: "atrest" };
  for (
    const encryption of [
      "off",
      await MasterKeyring.fromText(generateMasterKey()),
    ] as StoreEncryption[]
  ) {
    const dir = await Deno.makeTempDir({ prefix: "facegate_atrest_bench_" });
    const store = await KvFaceStore.open(`${dir}/b.kv`, { encryption });
    try {
      console.error(`at rest: ${faces} faces, encryption ${encryption === "off" ? "off" : "on"}`);
      const rate = await load(store, faces);
      const probe = syntheticGallery({ faces: 1, genuineDistance: 0.9, seed: 99 }).vectors;
      const tg: number[] = [], tc: number[] = [];
      for (let r = 0; r < 3; r++) {
        let t = performance.now();
        await store.gallery(ref);
        tg.push(performance.now() - t);
        const cache = new GalleryCache();
        t = performance.now();
        const version = await store.galleryVersion(ref);
        (await cache.get("k", version, () => store.gallery(ref))).search(probe, 5);
        tc.push(performance.now() - t);
      }
      const cache = new GalleryCache();
      await cache.get("k", await store.galleryVersion(ref), () => store.gallery(ref));
      const tw: number[] = [];
      for (let r = 0; r < 50; r++) {
        const t = performance.now();
        const version = await store.galleryVersion(ref);
        (await cache.get("k", version, () => store.gallery(ref))).search(probe, 5);
        tw.push(performance.now() - t);
      }
      rows.push({
        faces,
        encryption: encryption === "off" ? "off" : "aes-256-gcm",
        load_faces_per_s: round(rate, 0),
        gallery_ms: round(percentile(tg, 50), 0),
        cold_identify_ms: round(percentile(tc, 50), 0),
        warm_identify_p50_ms: round(percentile(tw, 50), 2),
      });
    } finally {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    }
  }
  return rows;
}

if (import.meta.main) {
  const sizes = Deno.args.length ? Deno.args.map(Number) : [10_000, 100_000];
  const rows: AtRestRow[] = [];
  for (const n of sizes) rows.push(...await atRest(n));
  console.log(
    JSON.stringify({ store: "kv", dim: 512, cpu: navigator.hardwareConcurrency, rows }, null, 2),
  );
}
