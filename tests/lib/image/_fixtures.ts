/**
 * Test fixtures generated in code: a tiny PNG encoder (every colour type and bit depth), tiny JPEGs
 * embedded as base64, EXIF splicing, and a loader for the shared photo data set.
 *
 * @module
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One PNG chunk with length and CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(
    new CompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What {@linkcode encodePng} writes. */
export interface PngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples per pixel in row-major order (channel values at `bitDepth`, or palette indices). */
  samples: number[];
  /** RGB triples for colour type 3. */
  palette?: number[];
  /** tRNS chunk payload bytes. */
  trns?: number[];
  /** Adam7 interlacing is not implemented by this encoder; only 0 is accepted. */
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;

/** Encodes a PNG (no filtering, no interlace) from raw samples. */
export async function encodePng(spec: PngSpec): Promise<Uint8Array> {
  const { width, height, colorType, bitDepth, samples } = spec;
  const ch = CHANNELS[colorType];
  const rowBits = width * ch * bitDepth;
  const rowBytes = Math.ceil(rowBits / 8);
  const raw = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    for (let i = 0; i < width * ch; i++) {
      const v = samples[y * width * ch + i];
      if (bitDepth === 16) {
        row[i * 2] = v >> 8;
        row[i * 2 + 1] = v & 0xff;
      } else if (bitDepth === 8) {
        row[i] = v;
      } else {
        const bit = i * bitDepth;
        row[bit >> 3] |= v << (8 - bitDepth - (bit & 7));
      }
    }
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [PNG_SIGNATURE, pngChunk("IHDR", ihdr)];
  if (spec.palette) parts.push(pngChunk("PLTE", new Uint8Array(spec.palette)));
  if (spec.trns) parts.push(pngChunk("tRNS", new Uint8Array(spec.trns)));
  parts.push(pngChunk("IDAT", await deflate(raw)), pngChunk("IEND", new Uint8Array(0)));
  return concat(...parts);
}

/** What {@linkcode encodeBlankPng} writes. */
export interface BlankPngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
}

/**
 * Encodes an all-zero PNG of any size without holding its raw data: rows are streamed through
 * the deflate compressor one at a time (a 7000x7000 16-bit RGBA image, 392 MB raw, becomes
 * ~380 KB). Palette images get a one-entry black palette.
 */
export async function encodeBlankPng(spec: BlankPngSpec): Promise<Uint8Array> {
  const { width, height, colorType, bitDepth } = spec;
  const row = new Uint8Array(1 + Math.ceil((width * CHANNELS[colorType] * bitDepth) / 8));
  let y = 0;
  const rows = new ReadableStream<BufferSource>({
    pull(controller) {
      for (let k = 0; k < 64 && y < height; k++, y++) controller.enqueue(row);
      if (y >= height) controller.close();
    },
  });
  const idat = new Uint8Array(
    await new Response(rows.pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [PNG_SIGNATURE, pngChunk("IHDR", ihdr)];
  if (colorType === 3) parts.push(pngChunk("PLTE", new Uint8Array(3)));
  parts.push(pngChunk("IDAT", idat), pngChunk("IEND", new Uint8Array(0)));
  return concat(...parts);
}

/** The 8-byte PNG signature. */
export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * 16x12 JPEGs made with MozJPEG (`@jsquash/jpeg@1.6.0`, quality 90) from the same picture: red
 * 220 in the left half (30 right), green 200 in the top half (40 bottom), blue 100. `gray` is the
 * grayscale version, the mean of the three channels (173, 123, 140, 57 clockwise from top left).
 */
export const TINY_JPEGS = {
  baseline: base64(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAMDAwMDAwQEBAQFBQUFBQcHBgYHBwsICQgJCAsRCwwLCwwLEQ8SDw4PEg" +
      "8bFRMTFRsfGhkaHyYiIiYwLTA+PlQBAwMDAwMDBAQEBAUFBQUFBwcGBgcHCwgJCAkICxELDAsLDAsRDxIPDg8SDxsV" +
      "ExMVGx8aGRofJiIiJjAtMD4+VP/AABEIAAwAEAMBEQACEQEDEQH/xAD+AAEBAQAAAAAAAAAAAAAAAAAIBgcQAAEFAQ" +
      "AAAAAAAAAAAAAAAAADBhdVpNIBAAMBAQEBAQEBAQEAAAAAAAABAgMEBQYHCAkKCxEAAgECBAQDBAcFBAQAAQJ3AAEC" +
      "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVl" +
      "dYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU" +
      "1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDdJQYtrnX4PxX/AFS4h/6A/wDyrT/+SP13/Ubin/" +
      "oA/wDK1L/5IM8oMW1zr8H6r/qlxD/0B/8AlWn/APJH8A/6jcU/9AH/AJWpf/JE2eqf7CBnP1U/gE//2Q==",
  ),
  progressive: base64(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAMDAwMDAwQEBAQFBQUFBQcHBgYHBwsICQgJCAsRCwwLCwwLEQ8SDw4PEg" +
      "8bFRMTFRsfGhkaHyYiIiYwLTA+PlQBAwMDAwMDBAQEBAUFBQUFBwcGBgcHCwgJCAkICxELDAsLDAsRDxIPDg8SDxsV" +
      "ExMVGx8aGRofJiIiJjAtMD4+VP/CABEIAAwAEAMBEQACEQEDEQH/xAArAAEBAQAAAAAAAAAAAAAAAAAIBgcBAQEBAQ" +
      "AAAAAAAAAAAAAAAAcIBQn/2gAMAwEAAhADEAAAAN0FV0zqsAzer2EM6rAP/8QAGxAAAAcBAAAAAAAAAAAAAAAAAAMG" +
      "F1Wk0hD/2gAIAQEAAT8AdBCytc/AdBCytc/Hf//EABsRAAAHAQAAAAAAAAAAAAAAAAADBhZUo9IQ/9oACAECAQE/AG" +
      "koYdpeg0lDDtL13//EABsRAAAHAQAAAAAAAAAAAAAAAAADBhZUo9IQ/9oACAEDAQE/AGMqYFxWgxlTAuK13//Z",
  ),
  gray: base64(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMDAwMDAwQEBAQFBQUFBQcHBgYHBwsICQgJCAsRCwwLCwwLEQ8SDw4PEg" +
      "8bFRMTFRsfGhkaHyYiIiYwLTA+PlT/wAALCAAMABABAREA/8QALgABAQEAAAAAAAAAAAAAAAAACAYHEAABBQEAAAAA" +
      "AAAAAAAAAAAAAwYWVKPS/9oACAEBAAA/ANVlreuZKchXlreuZKcl8Fc//9k=",
  ),
};

function base64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** What {@linkcode encodeFlatJpeg} writes. */
export interface FlatJpegSpec {
  width: number;
  height: number;
  /** One stored sample value per component (1 gray, 3 YCbCr, 4 CMYK). */
  samples: number[];
  /** Add an Adobe APP14 segment with this colour transform (0 = none, 1 = YCbCr, 2 = YCCK). */
  adobeTransform?: 0 | 1 | 2;
  /** SOF marker to write. Default: 0xC0 (baseline). */
  sofMarker?: number;
  /** Stop after the SOS header (no scan data, no EOI), for header-only bombs. Default: false. */
  headerOnly?: boolean;
}

/**
 * Encodes a flat-colour baseline JPEG by hand: every 8x8 block holds only a DC coefficient
 * (quantiser 1), coded with the standard luminance DC table and a one-symbol (EOB) AC table.
 * It makes exact pixel values, any component count (including CMYK) and any declared size.
 */
export function encodeFlatJpeg(spec: FlatJpegSpec): Uint8Array {
  const { width, height, samples } = spec;
  const n = samples.length;
  const seg = (marker: number, body: number[]) => [
    0xff,
    marker,
    (body.length + 2) >> 8,
    (body.length + 2) & 0xff,
    ...body,
  ];
  const dcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const out: number[] = [0xff, 0xd8];
  if (spec.adobeTransform !== undefined) {
    out.push(...seg(0xee, [...ascii("Adobe"), 0, 100, 0, 0, 0, 0, spec.adobeTransform]));
  }
  out.push(...seg(0xdb, [0, ...new Array(64).fill(1)]));
  const comps = samples.flatMap((_, i) => [i + 1, 0x11, 0]);
  out.push(
    ...seg(spec.sofMarker ?? 0xc0, [
      8,
      height >> 8,
      height & 0xff,
      width >> 8,
      width & 0xff,
      n,
      ...comps,
    ]),
  );
  out.push(...seg(0xc4, [0x00, ...dcBits, ...Array.from({ length: 12 }, (_, i) => i)]));
  out.push(...seg(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]));
  out.push(...seg(0xda, [n, ...samples.flatMap((_, i) => [i + 1, 0x00]), 0, 63, 0]));
  if (spec.headerOnly) return new Uint8Array(out);
  // Canonical Huffman codes of the DC table: category -> [code, length].
  const dcCodes: [number, number][] = [];
  for (let len = 1, code = 0, cat = 0; len <= 16; len++, code <<= 1) {
    for (let k = 0; k < dcBits[len - 1]; k++) dcCodes[cat++] = [code++, len];
  }
  let acc = 0;
  let bits = 0;
  const scan: number[] = [];
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++bits === 8) {
        scan.push(acc);
        if (acc === 0xff) scan.push(0);
        acc = 0;
        bits = 0;
      }
    }
  };
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8);
  for (let b = 0; b < blocks; b++) {
    for (const v of samples) {
      const diff = b === 0 ? 8 * (v - 128) : 0;
      const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(dcCodes[cat][0], dcCodes[cat][1]);
      if (cat > 0) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      put(0, 1); // EOB
    }
  }
  if (bits > 0) put(0xff, 8 - bits);
  return concat(new Uint8Array(out), new Uint8Array(scan), new Uint8Array([0xff, 0xd9]));
}

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/** A TIFF block holding only IFD0 with an Orientation tag, in either byte order. */
export function exifTiff(orientation: number, littleEndian: boolean, type = 3): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const view = new DataView(tiff.buffer);
  tiff.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  view.setUint16(2, 42, littleEndian);
  view.setUint32(4, 8, littleEndian);
  view.setUint16(8, 1, littleEndian);
  view.setUint16(10, 0x0112, littleEndian);
  view.setUint16(12, type, littleEndian);
  view.setUint32(14, 1, littleEndian);
  if (type === 4) view.setUint32(18, orientation, littleEndian);
  else view.setUint16(18, orientation, littleEndian);
  return tiff;
}

/** Splices an APP1 Exif segment carrying `tiff` right after a JPEG's SOI marker. */
export function withExif(jpeg: Uint8Array, tiff: Uint8Array): Uint8Array {
  const body = concat(new Uint8Array(ascii("Exif\0\0")), tiff);
  const header = new Uint8Array([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  return concat(jpeg.subarray(0, 2), header, body, jpeg.subarray(2));
}

/** The shared photo data set: `$FACEGATE_DATA`, default `../shared/data` from the cwd. */
export function dataPath(relative: string): string {
  const root = Deno.env.get("FACEGATE_DATA") ?? "../shared/data";
  return `${root}/${relative}`;
}

/** Reads a file from the shared data set, failing loudly (never skipping) when it is missing. */
export async function readData(relative: string): Promise<Uint8Array> {
  const path = dataPath(relative);
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new Error(
      `Test data ${path} is missing: set FACEGATE_DATA to the shared data folder ` +
        `(default ../shared/data relative to the working directory)`,
      { cause: err },
    );
  }
}

/** Builds an RGBA raster whose red channel holds `values` (green/blue 0, alpha 255). */
export function labelled(width: number, height: number, values: number[]) {
  return {
    width,
    height,
    data: new Uint8Array(values.flatMap((v) => [v, 0, 0, 255])),
  };
}

/** The red channel of a raster, row by row. */
export function reds(raster: { width: number; height: number; data: Uint8Array }): number[][] {
  return Array.from(
    { length: raster.height },
    (_, y) =>
      Array.from({ length: raster.width }, (_, x) => raster.data[(y * raster.width + x) * 4]),
  );
}
