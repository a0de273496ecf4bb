/**
 * Builds a grid HEIC as phones write them (the primary item a `grid` of 512×512 HEVC tiles) from
 * tiles that `heif-enc` encoded one by one: Debian's heif-enc 1.15 cannot write grids itself.
 * Only for tests and benchmarks.
 *
 * @module
 */
import { readHeifHeader } from "../../../lib/image/_heif_header.ts";

/** One box: size, type, payload. */
export function box(type: string, ...parts: Uint8Array[]): Uint8Array {
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, size);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  let at = 8;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A FullBox: version and flags before the payload. */
export function fullBox(type: string, version: number, flags: number, ...parts: Uint8Array[]) {
  return box(
    type,
    new Uint8Array([version, flags >> 16, (flags >> 8) & 255, flags & 255]),
    ...parts,
  );
}

/** Big-endian integers of `width` bytes each. */
export function be(width: 1 | 2 | 4, ...values: number[]): Uint8Array {
  const out = new Uint8Array(width * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (width === 1) view.setUint8(i, v);
    else if (width === 2) view.setUint16(2 * i, v);
    else view.setUint32(4 * i, v);
  });
  return out;
}

function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** The hvcC property and the coded data of a single-image HEIC written by heif-enc. */
export function tileParts(heic: Uint8Array): { hvcC: Uint8Array; data: Uint8Array } {
  const h = readHeifHeader(heic);
  if (h.itemType !== "hvc1") throw new Error("not a single-image HEIC");
  const find = (type: string, from = 0) => {
    for (let i = from; i < heic.length - 4; i++) {
      if (
        heic[i] === type.charCodeAt(0) && heic[i + 1] === type.charCodeAt(1) &&
        heic[i + 2] === type.charCodeAt(2) && heic[i + 3] === type.charCodeAt(3)
      ) return i - 4;
    }
    throw new Error(`no ${type} box`);
  };
  const view = new DataView(heic.buffer, heic.byteOffset);
  const hv = find("hvcC");
  const hvcC = heic.slice(hv, hv + view.getUint32(hv));
  // heif-enc writes one item with one extent: iloc v0 or v1, offset/length sizes 4.
  const il = find("iloc");
  const version = heic[il + 8];
  let at = il + 12 + 2 + 2; // sizes, item count
  at += 2 + (version >= 1 ? 2 : 0) + 2; // item id, construction method, data ref index
  const baseSize = heic[il + 13] >> 4;
  const base = baseSize === 4 ? view.getUint32(at) : 0;
  at += baseSize + 2; // base offset, extent count
  const offset = base + view.getUint32(at);
  const length = view.getUint32(at + 4);
  return { hvcC, data: heic.slice(offset, offset + length) };
}

/**
 * Writes a HEIC whose primary item is a `cols`×`rows` grid of the given tiles (row-major, all
 * `tileSize` square), cropped to `width`×`height`; `irot` (anticlockwise quarter turns) optional.
 */
export function gridHeic(
  tiles: { hvcC: Uint8Array; data: Uint8Array }[],
  cols: number,
  rows: number,
  tileSize: number,
  width: number,
  height: number,
  irot = 0,
): Uint8Array {
  const n = tiles.length;
  const ftyp = box("ftyp", ascii("heic"), be(4, 0), ascii("mif1heic"));
  const hdlr = fullBox("hdlr", 0, 0, be(4, 0), ascii("pict"), be(4, 0, 0, 0), new Uint8Array(1));
  const pitm = fullBox("pitm", 0, 0, be(2, 1));
  const infe = (id: number, type: string, hidden: boolean) =>
    fullBox("infe", 2, hidden ? 1 : 0, be(2, id, 0), ascii(type), new Uint8Array(1));
  const iinf = fullBox(
    "iinf",
    0,
    0,
    be(2, n + 1),
    infe(1, "grid", false),
    ...tiles.map((_, i) => infe(i + 2, "hvc1", true)),
  );
  const iref = fullBox(
    "iref",
    0,
    0,
    box("dimg", be(2, 1, n), be(2, ...tiles.map((_, i) => i + 2))),
  );
  const ispe = (w: number, h: number) => fullBox("ispe", 0, 0, be(4, w, h));
  // Properties: 1 grid ispe, 2 tile ispe, 3 irot, 4.. the distinct hvcC boxes (libheif allows at
  // most 100 properties; encoders share one hvcC between tiles).
  const configs: Uint8Array[] = [];
  const configOf = tiles.map((t) => {
    let i = configs.findIndex((c) =>
      c.length === t.hvcC.length && c.every((v, k) => v === t.hvcC[k])
    );
    if (i < 0) i = configs.push(t.hvcC) - 1;
    return i;
  });
  const ipco = box(
    "ipco",
    ispe(width, height),
    ispe(tileSize, tileSize),
    box("irot", be(1, irot)),
    ...configs,
  );
  const assoc = [be(2, 1), be(1, irot ? 2 : 1), be(2, 0x8001), ...(irot ? [be(2, 0x8003)] : [])];
  tiles.forEach((_, i) => assoc.push(be(2, i + 2), be(1, 2), be(2, 0x8000 | (4 + configOf[i]), 2)));
  const ipma = fullBox("ipma", 0, 1, be(4, n + 1), ...assoc);
  const iprp = box("iprp", ipco, ipma);
  const grid = new Uint8Array([0, 1, rows - 1, cols - 1, ...be(4, width, height)]);
  const ilocSize = 8 + 4 + 2 + 2 + (n + 1) * 14;
  const metaSize = 12 + hdlr.length + pitm.length + iinf.length + iref.length + iprp.length +
    ilocSize;
  let offset = ftyp.length + metaSize + 8;
  const entries: Uint8Array[] = [];
  for (const [id, len] of [[1, grid.length], ...tiles.map((t, i) => [i + 2, t.data.length])]) {
    entries.push(be(2, id, 0, 1), be(4, offset, len));
    offset += len;
  }
  const iloc = fullBox("iloc", 0, 0, be(1, 0x44, 0), be(2, n + 1), ...entries);
  const meta = fullBox("meta", 0, 0, hdlr, pitm, iinf, iref, iprp, iloc);
  if (meta.length !== metaSize) throw new Error("iloc size mismatch");
  const mdat = box("mdat", grid, ...tiles.map((t) => t.data));
  const out = new Uint8Array(ftyp.length + meta.length + mdat.length);
  out.set(ftyp);
  out.set(meta, ftyp.length);
  out.set(mdat, ftyp.length + meta.length);
  return out;
}
