/**
 * A HEIF container reader (ISO/IEC 23008-12: HEIC and AVIF are both HEIF) that finds what the
 * decode budget and the orientation need without decoding a pixel: the primary item's type and
 * size (`ispe`), its grid tiles, bit depth (`pixi`, else `hvcC` / `av1C`) and the `irot` / `imir`
 * transforms. Every read is bounds-checked; a broken structure throws a plain `Error` with a
 * short reason (`decodeImage` wraps it as `invalid_image`).
 *
 * @module
 */

/** What {@linkcode readHeifHeader} finds about the primary image. */
export interface HeifHeader {
  /** The primary item's type: `hvc1` (HEVC), `av01` (AV1), `grid`, ... */
  itemType: string;
  /** The codec of the pixels: the item type, or the tiles' type for a grid. */
  codec: string;
  /** Stored width and height (`ispe`), before `irot`. */
  width: number;
  height: number;
  /** Bits per sample (8, 10, 12, 16). */
  bitDepth: number;
  /** Grid tiles: how many and their stored size (`undefined` for a single coded image). */
  grid: { tiles: number; tileWidth: number; tileHeight: number } | undefined;
  /** `irot`: anticlockwise quarter turns (0–3). */
  rotation: number;
  /** `imir`: 0 mirrors about a vertical axis (left-right), 1 about a horizontal one. */
  mirror: 0 | 1 | undefined;
}

interface Box {
  type: string;
  start: number;
  end: number;
}

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(at: number, n: number, end = this.bytes.length): void {
    if (at < 0 || at + n > end) throw new Error("the HEIF data is truncated inside a box");
  }
  u8(at: number, end?: number): number {
    this.need(at, 1, end);
    return this.bytes[at];
  }
  u16(at: number, end?: number): number {
    this.need(at, 2, end);
    return this.view.getUint16(at);
  }
  u32(at: number, end?: number): number {
    this.need(at, 4, end);
    return this.view.getUint32(at);
  }
  fourcc(at: number, end?: number): string {
    this.need(at, 4, end);
    return String.fromCharCode(...this.bytes.subarray(at, at + 4));
  }
  /** The boxes from `start` to `end`. */
  boxes(start: number, end: number): Box[] {
    const out: Box[] = [];
    for (let at = start; at < end;) {
      if (out.length > 10_000) throw new Error("the HEIF data has too many boxes");
      let size = this.u32(at, end);
      const type = this.fourcc(at + 4, end);
      let header = 8;
      if (size === 1) {
        const high = this.u32(at + 8, end);
        size = high * 2 ** 32 + this.u32(at + 12, end);
        header = 16;
      } else if (size === 0) {
        size = end - at;
      }
      if (size < header || at + size > end) {
        throw new Error(`the HEIF box "${type}" is truncated or has a bad size`);
      }
      out.push({ type, start: at + header, end: at + size });
      at += size;
    }
    return out;
  }
}

function child(boxes: Box[], type: string, required = true): Box | undefined {
  const box = boxes.find((b) => b.type === type);
  if (!box && required) throw new Error(`the HEIF data has no "${type}" box`);
  return box;
}

/**
 * Reads the primary image's description from a HEIF file (HEIC or AVIF).
 *
 * @param bytes The whole file.
 * @returns The header; throws a plain `Error` when the structure is broken or incomplete.
 */
export function readHeifHeader(bytes: Uint8Array): HeifHeader {
  const r = new Reader(bytes);
  const top = r.boxes(0, bytes.length);
  if (top[0]?.type !== "ftyp") throw new Error("the HEIF data does not start with ftyp");
  const meta = child(top, "meta")!;
  const inMeta = r.boxes(meta.start + 4, meta.end); // FullBox
  const pitm = child(inMeta, "pitm")!;
  const primary = r.u8(pitm.start, pitm.end) === 0
    ? r.u16(pitm.start + 4, pitm.end)
    : r.u32(pitm.start + 4, pitm.end);

  const types = itemTypes(r, child(inMeta, "iinf")!);
  const itemType = types.get(primary);
  if (itemType === undefined) throw new Error(`the HEIF primary item ${primary} is not declared`);

  const iprp = child(inMeta, "iprp")!;
  const inIprp = r.boxes(iprp.start, iprp.end);
  const props = r.boxes(child(inIprp, "ipco")!.start, child(inIprp, "ipco")!.end);
  const assoc = associations(r, inIprp.filter((b) => b.type === "ipma"));
  const propsOf = (item: number) =>
    (assoc.get(item) ?? []).map((i) => {
      if (i < 1 || i > props.length) throw new Error("the HEIF ipma names a missing property");
      return props[i - 1];
    });

  const own = propsOf(primary);
  const size = ispe(r, own);
  if (!size) throw new Error("the HEIF primary item has no ispe (size) property");
  let codec = itemType;
  let grid: HeifHeader["grid"];
  let codedProps = own;
  if (itemType === "grid") {
    const tiles = references(r, inMeta, "dimg", primary);
    if (tiles.length === 0) throw new Error("the HEIF grid has no tiles");
    codec = types.get(tiles[0]) ?? "?";
    codedProps = propsOf(tiles[0]);
    const tile = ispe(r, codedProps);
    if (!tile) throw new Error("the HEIF grid tile has no ispe (size) property");
    grid = { tiles: tiles.length, tileWidth: tile.width, tileHeight: tile.height };
  }
  let rotation = 0;
  let mirror: 0 | 1 | undefined;
  for (const p of own) {
    if (p.type === "irot") rotation = r.u8(p.start, p.end) & 3;
    if (p.type === "imir") mirror = (r.u8(p.start, p.end) & 1) as 0 | 1;
  }
  return {
    itemType,
    codec,
    ...size,
    bitDepth: bitDepth(r, own) ?? bitDepth(r, codedProps) ?? 8,
    grid,
    rotation,
    mirror,
  };
}

function itemTypes(r: Reader, iinf: Box): Map<number, string> {
  const version = r.u8(iinf.start, iinf.end);
  const first = iinf.start + 4 + (version === 0 ? 2 : 4);
  const out = new Map<number, string>();
  for (const infe of r.boxes(first, iinf.end)) {
    if (infe.type !== "infe") continue;
    const v = r.u8(infe.start, infe.end);
    if (v < 2) continue; // versions 0/1 describe non-image items (no item_type)
    const id = v === 2 ? r.u16(infe.start + 4, infe.end) : r.u32(infe.start + 4, infe.end);
    const at = infe.start + 4 + (v === 2 ? 2 : 4) + 2;
    out.set(id, r.fourcc(at, infe.end));
  }
  return out;
}

function associations(r: Reader, ipmas: Box[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const ipma of ipmas) {
    const version = r.u8(ipma.start, ipma.end);
    const wide = (r.u32(ipma.start, ipma.end) & 1) === 1;
    const count = r.u32(ipma.start + 4, ipma.end);
    let at = ipma.start + 8;
    for (let e = 0; e < count; e++) {
      const id = version < 1 ? r.u16(at, ipma.end) : r.u32(at, ipma.end);
      at += version < 1 ? 2 : 4;
      const n = r.u8(at++, ipma.end);
      const list = out.get(id) ?? [];
      for (let k = 0; k < n; k++) {
        list.push(wide ? r.u16(at, ipma.end) & 0x7fff : r.u8(at, ipma.end) & 0x7f);
        at += wide ? 2 : 1;
      }
      out.set(id, list);
    }
  }
  return out;
}

function references(r: Reader, inMeta: Box[], kind: string, from: number): number[] {
  const iref = child(inMeta, "iref", false);
  if (!iref) return [];
  const version = r.u8(iref.start, iref.end);
  const id = (at: number, end: number) => version === 0 ? r.u16(at, end) : r.u32(at, end);
  const w = version === 0 ? 2 : 4;
  for (const ref of r.boxes(iref.start + 4, iref.end)) {
    if (ref.type !== kind || id(ref.start, ref.end) !== from) continue;
    const count = r.u16(ref.start + w, ref.end);
    return Array.from({ length: count }, (_, k) => id(ref.start + w + 2 + k * w, ref.end));
  }
  return [];
}

function ispe(r: Reader, props: Box[]): { width: number; height: number } | undefined {
  const p = props.find((b) => b.type === "ispe");
  if (!p) return undefined;
  const width = r.u32(p.start + 4, p.end);
  const height = r.u32(p.start + 8, p.end);
  if (width === 0 || height === 0) {
    throw new Error(`the HEIF ispe declares an invalid size ${width}x${height}`);
  }
  return { width, height };
}

function bitDepth(r: Reader, props: Box[]): number | undefined {
  for (const p of props) {
    if (p.type === "pixi" && r.u8(p.start + 4, p.end) > 0) return r.u8(p.start + 5, p.end);
    if (p.type === "hvcC") return (r.u8(p.start + 17, p.end) & 7) + 8;
    if (p.type === "av1C") {
      const b = r.u8(p.start + 2, p.end);
      return b & 0x40 ? (b & 0x20 ? 12 : 10) : 8;
    }
  }
  return undefined;
}
