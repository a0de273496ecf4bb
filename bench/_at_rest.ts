/**
 * The cost of encryption at rest for identify, on the default store (Deno KV, a local SQLite
 * file): the same synthetic gallery (512-d) stored plain (`FACEGATE_ENCRYPTION=off`) and sealed
 * (AES-256-GCM per face), then identify the way the route does it — the store's gallery version
 * validates a per-isolate int8 index (`GalleryCache`). A cold identify reads every face, decrypts
 * it and builds the index; a warm one reads the version and scans the index, so decryption is
 * paid once per gallery version.
 *
 * ```sh
 * nice -n 10 deno task bench atrest     # writes the section of BENCHMARKS.md
 * ```
 *
 * @module
 */
import { GalleryCache, GalleryIndex } from "../lib/match/mod.ts";
import {
  type FaceStore,
  generateMasterKey,
  KvFaceStore,
  MasterKeyring,
  type StoreEncryption,
  TemplateCipher,
} from "../lib/store/mod.ts";
import { enrollGallery, syntheticGallery } from "./_synthetic_gallery.ts";
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
  await enrollGallery(store, ref, g);
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

/** Decryption alone next to the int8 index build it precedes, without store I/O. */
export interface DecryptRow {
  faces: number;
  /** Opening every sealed embedding (WebCrypto AES-256-GCM, 64 in flight), median of 3, ms. */
  decrypt_ms: number;
  /** The same per face, µs. */
  decrypt_us_per_face: number;
  /** `GalleryIndex.build` of the decrypted gallery, median of 3, ms. */
  index_build_ms: number;
}

/** Seals `faces` synthetic embeddings with one data key and times opening them all. */
export async function decryptOnly(faces: number): Promise<DecryptRow> {
  const g = syntheticGallery({ faces, genuineDistance: 0.9, seed: 3 });
  const cipher = new TemplateCipher(await MasterKeyring.fromText(generateMasterKey()));
  const { dataKey } = await cipher.createDataKey("bench@1|atrest");
  const sealed: Uint8Array[] = [];
  for (let i = 0; i < faces; i++) {
    const bytes = new Uint8Array(g.vectors.buffer, i * g.dim * 4, g.dim * 4);
    sealed.push(await cipher.seal(dataKey, `face|${i}`, bytes));
  }
  const td: number[] = [], tb: number[] = [];
  for (let r = 0; r < 3; r++) {
    let t = performance.now();
    // As the stores open a gallery: 64 records in flight.
    const plain: Uint8Array[] = [];
    for (let i = 0; i < faces; i += 64) {
      const part = sealed.slice(i, i + 64).map((s, j) =>
        cipher.open(dataKey, `face|${i + j}`, s, "")
      );
      plain.push(...await Promise.all(part));
    }
    td.push(performance.now() - t);
    const vectors = new Float32Array(faces * g.dim);
    plain.forEach((p, i) =>
      vectors.set(new Float32Array(p.buffer, p.byteOffset, g.dim), i * g.dim)
    );
    t = performance.now();
    GalleryIndex.build({ ...g, vectors });
    tb.push(performance.now() - t);
  }
  const ms = percentile(td, 50);
  return {
    faces,
    decrypt_ms: round(ms, 0),
    decrypt_us_per_face: round((ms * 1000) / faces, 1),
    index_build_ms: round(percentile(tb, 50), 0),
  };
}

/** The at-rest section of the benchmark results. */
export interface AtRestReport {
  /** Decryption alone and the index build it precedes, 10k and 100k faces. */
  decrypt: DecryptRow[];
  /** End to end on Deno KV, encryption off and on. */
  kv: AtRestRow[];
}

/**
 * Runs the at-rest benchmark: decryption at 10k and 100k faces, and Deno KV end to end at
 * `kvSizes` (default 10k).
 */
export async function runAtRest(kvSizes: number[] = [10_000]): Promise<AtRestReport> {
  const decrypt: DecryptRow[] = [];
  for (const n of [10_000, 100_000]) {
    console.error(`at rest: decrypt ${n}`);
    decrypt.push(await decryptOnly(n));
  }
  const kv: AtRestRow[] = [];
  for (const n of kvSizes) kv.push(...await atRest(n));
  return { decrypt, kv };
}

/** The BENCHMARKS.md section of an {@linkcode AtRestReport}. */
export function atRestMarkdown(r: AtRestReport & { measured_at: string }): string[] {
  const md = [
    "## Encryption at rest: the cost for identify",
    "",
    `Measured ${r.measured_at} by \`deno task bench atrest\` (bench/_at_rest.ts), 512-d synthetic`,
    "embeddings. Identify decrypts only when it builds the per-isolate int8 index, once per",
    "gallery version; a warm identify reads the version and scans the index, with no decryption.",
    "",
    "Decryption alone (WebCrypto AES-256-GCM, 64 records in flight, as the stores open a gallery)",
    "next to the int8 index build it precedes, without store I/O:",
    "",
    "| faces | decrypt ms | µs / face | int8 index build ms |",
    "| ----- | ---------- | --------- | ------------------- |",
  ];
  for (const d of r.decrypt) {
    md.push(`| ${d.faces} | ${d.decrypt_ms} | ${d.decrypt_us_per_face} | ${d.index_build_ms} |`);
  }
  md.push(
    "",
    "Deno KV end to end (the default store, a local SQLite file), the same gallery stored plain",
    "(`FACEGATE_ENCRYPTION=off`) and sealed; cold = version, gallery read and decrypt, index build",
    "and search on a fresh cache; warm = version read and index search:",
    "",
    "| faces | encryption | enroll faces/s | gallery read ms | cold identify ms | warm identify p50 ms |",
    "| ----- | ---------- | -------------- | --------------- | ---------------- | -------------------- |",
  );
  for (const k of r.kv) {
    md.push(
      `| ${k.faces} | ${k.encryption} | ${k.load_faces_per_s} | ${k.gallery_ms} | ` +
        `${k.cold_identify_ms} | ${k.warm_identify_p50_ms} |`,
    );
  }
  md.push("");
  return md;
}

if (import.meta.main) {
  const sizes = Deno.args.filter((a) => /^\d+$/.test(a)).map(Number);
  const cpu = navigator.hardwareConcurrency;
  const report = await runAtRest(sizes.length ? sizes : undefined);
  console.log(JSON.stringify({ dim: 512, cpu, ...report }, null, 2));
}
