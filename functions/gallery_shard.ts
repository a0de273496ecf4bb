/**
 * `GalleryShard`, the Durable Object that holds one shard of a sharded collection
 * (`lib/shards/`): its faces as rows of its own SQLite storage (one row per face, the float32
 * template as a BLOB of `4·dim` bytes, far under the 2 MB row limit) and, once woken, a resident
 * int8 {@linkcode GalleryIndex} with the project's SIMD kernel, rebuilt from the rows after a
 * write. Reached by the Worker through its stub's `fetch`:
 *
 * - `POST /add` (body: `packRows`) upserts rows by face id;
 * - `POST /delete?subject=…[&face_id=…]` or `?all=1` deletes;
 * - `POST /search?k=&since=` (body: the float32 probe) answers `{faces, candidates}`;
 * - `GET /stats` answers `{faces, dim, index_bytes}`.
 *
 * `FACEGATE_SHARD_FAIL` (a Worker variable naming shards, `"*"` for all) makes those shards answer
 * 503: how the tests show that identify fails whole rather than answer from part of the gallery.
 *
 * @module
 */
import { type Gallery, GalleryIndex } from "../lib/match/mod.ts";
import { unpackRows } from "../lib/shards/mod.ts";

/** The part of `ctx.storage.sql` used here. */
interface SqlStorage {
  exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> & {
    toArray(): Record<string, unknown>[];
  };
}

/** The part of a Durable Object's `ctx` used here. */
export interface ShardState {
  storage: { sql: SqlStorage; transactionSync<T>(fn: () => T): T };
  id: { name?: string; toString(): string };
}

/** The Durable Object. */
export class GalleryShard {
  readonly #state: ShardState;
  readonly #env: Record<string, unknown>;
  #index: GalleryIndex | null = null;

  constructor(state: ShardState, env: Record<string, unknown>) {
    this.#state = state;
    this.#env = env;
    state.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS faces (face_id TEXT PRIMARY KEY, subject TEXT NOT NULL, " +
        "created_at REAL NOT NULL, embedding BLOB NOT NULL)",
    );
    state.storage.sql.exec("CREATE INDEX IF NOT EXISTS faces_subject ON faces (subject)");
  }

  /** The resident index, built from the rows when absent (after a wake-up or a write). */
  #resident(): GalleryIndex {
    if (this.#index) return this.#index;
    const sql = this.#state.storage.sql;
    const count = Number(sql.exec("SELECT count(*) AS n FROM faces").toArray()[0].n);
    const subjects: string[] = [], faceIds: string[] = [];
    const subjectIndex = new Int32Array(count), createdAt = new Float64Array(count);
    let vectors = new Float32Array(0), dim = 0, i = 0;
    for (
      const row of sql.exec(
        "SELECT subject, face_id, created_at, embedding FROM faces ORDER BY subject",
      )
    ) {
      const blob = new Uint8Array(row.embedding as ArrayBuffer);
      if (i === 0) {
        dim = blob.byteLength / 4;
        vectors = new Float32Array(count * dim);
      }
      if (subjects.at(-1) !== row.subject) subjects.push(row.subject as string);
      subjectIndex[i] = subjects.length - 1;
      faceIds.push(row.face_id as string);
      createdAt[i] = row.created_at as number;
      vectors.set(new Float32Array(blob.buffer, blob.byteOffset, dim), i * dim);
      i++;
    }
    const gallery: Gallery = { dim, subjects, subjectIndex, faceIds, vectors, createdAt };
    this.#index = GalleryIndex.build(gallery);
    return this.#index;
  }

  #failing(request: Request): boolean {
    const fail = this.#env.FACEGATE_SHARD_FAIL;
    if (typeof fail !== "string" || !fail) return false;
    const name = request.headers.get("x-facegate-shard") ?? this.#state.id.name ?? "";
    return fail === "*" || fail.split(",").some((f) => f.trim() && name.includes(f.trim()));
  }

  /** The shard's HTTP surface (see the module doc). */
  async fetch(request: Request): Promise<Response> {
    if (this.#failing(request)) {
      return new Response("shard failing (FACEGATE_SHARD_FAIL)", { status: 503 });
    }
    const url = new URL(request.url);
    const sql = this.#state.storage.sql;
    if (url.pathname === "/stats") {
      const index = this.#resident();
      return Response.json({ faces: index.size, dim: index.dim, index_bytes: index.bytes });
    }
    if (url.pathname === "/add" && request.method === "POST") {
      const rows = unpackRows(new Uint8Array(await request.arrayBuffer()));
      const bytes = rows.dim * 4;
      const raw = new Uint8Array(
        rows.vectors.buffer,
        rows.vectors.byteOffset,
        rows.vectors.byteLength,
      );
      this.#state.storage.transactionSync(() => {
        rows.faces.forEach((f, i) => {
          sql.exec(
            "INSERT OR REPLACE INTO faces (face_id, subject, created_at, embedding) VALUES (?, ?, ?, ?)",
            f.face_id,
            f.subject,
            f.created_at,
            raw.slice(i * bytes, (i + 1) * bytes).buffer,
          );
        });
      });
      this.#index = null;
      return Response.json({ added: rows.faces.length });
    }
    if (url.pathname === "/delete" && request.method === "POST") {
      const subject = url.searchParams.get("subject"), faceId = url.searchParams.get("face_id");
      if (url.searchParams.get("all") === "1") sql.exec("DELETE FROM faces");
      else if (subject !== null && faceId !== null) {
        sql.exec("DELETE FROM faces WHERE subject = ? AND face_id = ?", subject, faceId);
      } else if (subject !== null) sql.exec("DELETE FROM faces WHERE subject = ?", subject);
      else return new Response("delete needs subject or all=1", { status: 400 });
      this.#index = null;
      return Response.json({ deleted: true });
    }
    if (url.pathname === "/search" && request.method === "POST") {
      const probe = new Float32Array(await request.arrayBuffer());
      const k = Number(url.searchParams.get("k") ?? 5);
      const since = Number(url.searchParams.get("since") ?? -Infinity);
      const index = this.#resident();
      if (index.size === 0) return Response.json({ faces: 0, candidates: [] });
      if (index.dim !== probe.length) {
        return new Response(`probe has ${probe.length} dims, shard ${index.dim}`, { status: 400 });
      }
      const candidates = index.search(probe, k, { createdSince: since, now: Date.now() });
      return Response.json({ faces: index.size, candidates });
    }
    return new Response("not found", { status: 404 });
  }
}
