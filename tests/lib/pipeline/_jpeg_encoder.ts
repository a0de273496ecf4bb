/**
 * A small baseline JPEG encoder for tests (the project has decoders only): YCbCr 4:4:4, the
 * standard Annex K quantisation and Huffman tables scaled by a libjpeg-style quality, one scan.
 * It lets a test store a real photo's pixels rotated and label them with an EXIF orientation.
 *
 * @module
 */
import type { Raster } from "../../../lib/image/raster.ts";

const ZIGZAG = [
  0,
  1,
  8,
  16,
  9,
  2,
  3,
  10,
  17,
  24,
  32,
  25,
  18,
  11,
  4,
  5,
  12,
  19,
  26,
  33,
  40,
  48,
  41,
  34,
  27,
  20,
  13,
  6,
  7,
  14,
  21,
  28,
  35,
  42,
  49,
  56,
  57,
  50,
  43,
  36,
  29,
  22,
  15,
  23,
  30,
  37,
  44,
  51,
  58,
  59,
  52,
  45,
  38,
  31,
  39,
  46,
  53,
  60,
  61,
  54,
  47,
  55,
  62,
  63,
];

// Annex K.1 tables in natural (row-major) order.
const LUMA_Q = [
  16,
  11,
  10,
  16,
  24,
  40,
  51,
  61,
  12,
  12,
  14,
  19,
  26,
  58,
  60,
  55,
  14,
  13,
  16,
  24,
  40,
  57,
  69,
  56,
  14,
  17,
  22,
  29,
  51,
  87,
  80,
  62,
  18,
  22,
  37,
  56,
  68,
  109,
  103,
  77,
  24,
  35,
  55,
  64,
  81,
  104,
  113,
  92,
  49,
  64,
  78,
  87,
  103,
  121,
  120,
  101,
  72,
  92,
  95,
  98,
  112,
  100,
  103,
  99,
];
const CHROMA_Q = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  ...new Array(32).fill(99),
];

// Annex K.3 Huffman tables: code counts per length 1..16, then symbols.
interface HuffSpec {
  counts: number[];
  symbols: number[];
}
const DC_LUMA: HuffSpec = {
  counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const DC_CHROMA: HuffSpec = {
  counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};
const AC_LUMA: HuffSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: hex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25" +
      "262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a" +
      "838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9ca" +
      "d2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa",
  ),
};
const AC_CHROMA: HuffSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: hex(
    "000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718" +
      "191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a" +
      "82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9ca" +
      "d2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9fa",
  ),
};

function hex(text: string): number[] {
  return Array.from(
    { length: text.length / 2 },
    (_, i) => parseInt(text.slice(2 * i, 2 * i + 2), 16),
  );
}

/** Canonical Huffman codes: symbol → [code, length]. */
function huffCodes(spec: HuffSpec): Map<number, [number, number]> {
  const codes = new Map<number, [number, number]>();
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++, code <<= 1) {
    for (let i = 0; i < spec.counts[len - 1]; i++) codes.set(spec.symbols[k++], [code++, len]);
  }
  return codes;
}

function scaledTable(base: number[], quality: number): number[] {
  const q = Math.max(1, Math.min(100, quality));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  return base.map((v) => Math.max(1, Math.min(255, Math.floor((v * scale + 50) / 100))));
}

// cos((2x + 1)uπ / 16) for the forward DCT.
const COS = Array.from(
  { length: 64 },
  (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16),
);

function fdct(block: Float64Array, out: Float64Array): void {
  const tmp = new Float64Array(64);
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += block[y * 8 + x] * COS[x * 8 + u];
      tmp[y * 8 + u] = s * (u === 0 ? Math.SQRT1_2 : 1) / 2;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += tmp[y * 8 + u] * COS[y * 8 + v];
      out[v * 8 + u] = s * (v === 0 ? Math.SQRT1_2 : 1) / 2;
    }
  }
}

class BitWriter {
  bytes: number[] = [];
  #acc = 0;
  #bits = 0;
  put(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.#acc = (this.#acc << 1) | ((value >> i) & 1);
      if (++this.#bits === 8) {
        this.bytes.push(this.#acc);
        if (this.#acc === 0xff) this.bytes.push(0);
        this.#acc = 0;
        this.#bits = 0;
      }
    }
  }
  flush(): void {
    if (this.#bits > 0) this.put((1 << (8 - this.#bits)) - 1, 8 - this.#bits);
  }
}

function category(v: number): number {
  return v === 0 ? 0 : Math.floor(Math.log2(Math.abs(v))) + 1;
}

/**
 * Encodes an RGBA raster (alpha ignored) as a baseline JFIF JPEG.
 * @param quality 1..100, libjpeg scaling of the Annex K tables. Default: 95.
 */
export function encodeJpeg(raster: Raster, quality = 95): Uint8Array {
  const { width, height, data } = raster;
  const qt = [scaledTable(LUMA_Q, quality), scaledTable(CHROMA_Q, quality)];
  const dc = [huffCodes(DC_LUMA), huffCodes(DC_CHROMA)];
  const ac = [huffCodes(AC_LUMA), huffCodes(AC_CHROMA)];
  const out: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]) =>
    out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  seg(0xdb, [0, ...ZIGZAG.map((z) => qt[0][z]), 1, ...ZIGZAG.map((z) => qt[1][z])]);
  seg(0xc0, [
    8,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    3,
    1,
    0x11,
    0,
    2,
    0x11,
    1,
    3,
    0x11,
    1,
  ]);
  for (
    const [cls, spec] of [[0x00, DC_LUMA], [0x10, AC_LUMA], [0x01, DC_CHROMA], [
      0x11,
      AC_CHROMA,
    ]] as const
  ) {
    seg(0xc4, [cls, ...spec.counts, ...spec.symbols]);
  }
  seg(0xda, [3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]);

  const w = new BitWriter();
  const pred = [0, 0, 0];
  const block = new Float64Array(64), coef = new Float64Array(64);
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < 64; i++) {
          const x = Math.min(width - 1, bx + (i & 7)), y = Math.min(height - 1, by + (i >> 3));
          const p = (y * width + x) * 4;
          const r = data[p], g = data[p + 1], b = data[p + 2];
          const v = c === 0
            ? 0.299 * r + 0.587 * g + 0.114 * b
            : c === 1
            ? -0.168736 * r - 0.331264 * g + 0.5 * b + 128
            : 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
          block[i] = v - 128;
        }
        fdct(block, coef);
        const t = c === 0 ? 0 : 1;
        const q = ZIGZAG.map((z) => Math.round(coef[z] / qt[t][z]));
        const diff = q[0] - pred[c];
        pred[c] = q[0];
        const dcCat = category(diff);
        w.put(...dc[t].get(dcCat)!);
        if (dcCat) w.put(diff > 0 ? diff : diff + (1 << dcCat) - 1, dcCat);
        let run = 0;
        for (let k = 1; k < 64; k++) {
          if (q[k] === 0) {
            run++;
            continue;
          }
          while (run > 15) {
            w.put(...ac[t].get(0xf0)!);
            run -= 16;
          }
          const cat = category(q[k]);
          w.put(...ac[t].get((run << 4) | cat)!);
          w.put(q[k] > 0 ? q[k] : q[k] + (1 << cat) - 1, cat);
          run = 0;
        }
        if (run > 0) w.put(...ac[t].get(0x00)!);
      }
    }
  }
  w.flush();
  return new Uint8Array([...out, ...w.bytes, 0xff, 0xd9]);
}
