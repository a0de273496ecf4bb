/**
 * The smallest face the detector finds: LFW photos are shrunk so the face is N px wide, pasted
 * into a mid-gray canvas (640×480 and 1920×1440), and detected with and without tiles. Prints JSON:
 * the detection rate per face size.
 *
 * Usage: `deno run -A bench/min_face.ts`
 *
 * @module
 */
import { decodeImage, resizeBilinear } from "../lib/image/mod.ts";
import type { Raster } from "../lib/image/mod.ts";
import { detectFaces } from "../lib/detect/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { dataDir } from "./_data.ts";

const sessions = new SessionCache(fileModelLoader());
const detector = await sessions.get(MODEL_MANIFEST.detector);
const channels = MODEL_MANIFEST.detector.input.channels === "BGR" ? "bgr" : "rgb";
const root = `${dataDir()}/faces`;
const people = ["Serena_Williams", "Hamid_Karzai", "Nancy_Pelosi", "Jean_Charest", "Javier_Solana"];
const faces: Raster[] = [];
for (const p of people) {
  faces.push(await decodeImage(await Deno.readFile(`${root}/${p}/${p}_0001.jpg`)));
}

function paste(canvasW: number, canvasH: number, face: Raster, size: number): Raster {
  // LFW deep-funneled faces are ~0.4 of the 250 px frame wide.
  const scale = size / (0.4 * face.width);
  const small = resizeBilinear(
    face,
    Math.max(1, Math.round(face.width * scale)),
    Math.max(1, Math.round(face.height * scale)),
  );
  const data = new Uint8Array(canvasW * canvasH * 4).fill(128);
  const ox = Math.floor((canvasW - small.width) / 3), oy = Math.floor((canvasH - small.height) / 3);
  for (let y = 0; y < small.height; y++) {
    data.set(
      small.data.subarray(y * small.width * 4, (y + 1) * small.width * 4),
      ((oy + y) * canvasW + ox) * 4,
    );
  }
  return { width: canvasW, height: canvasH, data };
}

const result: Record<string, Record<string, number>> = {};
for (const [w, h] of [[640, 480], [1920, 1440]]) {
  for (const tiles of [0, 12]) {
    const key = `${w}x${h} tiles=${tiles}`;
    result[key] = {};
    for (const size of [12, 16, 20, 24, 32, 40, 48, 64, 96]) {
      let hit = 0;
      for (const face of faces) {
        const found = await detectFaces(detector, paste(w, h, face, size), {
          channels,
          maxTiles: tiles,
        });
        if (found.length > 0) hit++;
      }
      result[key][`${size}px`] = hit / faces.length;
    }
  }
}
console.log(JSON.stringify(result, null, 1));
