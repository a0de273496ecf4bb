/**
 * Detector recall against the ground-truth boxes of `faces-misc/dlib_face_boxes.csv`, plus false
 * detections on the no-face images. Prints JSON.
 *
 * Usage: `deno run -A bench/detect_recall.ts [--channels rgb|bgr] [--max-tiles N] [--threshold T]`
 * (channels default to the manifest's)
 *
 * @module
 */
import { parseArgs } from "node:util";
import { decodeImage } from "../lib/image/mod.ts";
import { detectFaces, iou } from "../lib/detect/mod.ts";
import { fileModelLoader, SessionCache } from "../lib/onnx/mod.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { dataDir } from "./_data.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    channels: {
      type: "string",
      default: MODEL_MANIFEST.detector.input.channels === "BGR" ? "bgr" : "rgb",
    },
    "max-tiles": { type: "string", default: "12" },
    threshold: { type: "string", default: "0.7" },
  },
});
const misc = `${dataDir()}/faces-misc`;
const sessions = new SessionCache(fileModelLoader());
const detector = await sessions.get(MODEL_MANIFEST.detector);
const opts = {
  channels: values.channels as "rgb" | "bgr",
  maxTiles: Number(values["max-tiles"]),
  scoreThreshold: Number(values.threshold),
};

const gt = new Map<string, { x: number; y: number; width: number; height: number }[]>();
for (
  const line of (await Deno.readTextFile(`${misc}/dlib_face_boxes.csv`)).trim().split("\n").slice(1)
) {
  const [file, l, t, w, h] = line.split(",");
  gt.set(file, [...(gt.get(file) ?? []), { x: +l, y: +t, width: +w, height: +h }]);
}
let found = 0, total = 0, extra = 0;
const missedSizes: number[] = [], foundSizes: number[] = [];
let ms = 0;
for (const [file, boxes] of gt) {
  const raster = await decodeImage(await Deno.readFile(`${misc}/${file}`));
  const t = performance.now();
  const dets = await detectFaces(detector, raster, opts);
  ms += performance.now() - t;
  const used = new Set<number>();
  for (const g of boxes) {
    total++;
    let best = -1, bestIou = 0.3;
    dets.forEach((d, i) => {
      const v = iou(d.box, g);
      if (!used.has(i) && v >= bestIou) [best, bestIou] = [i, v];
    });
    if (best >= 0) {
      used.add(best);
      found++;
      foundSizes.push(g.width);
    } else missedSizes.push(g.width);
  }
  extra += dets.length - used.size;
}
let noFaceDetections = 0;
for (
  const file of [
    "noface_dlib_dogs.jpg",
    "noface_insightface_view.jpg",
    "noface_insightface_no_face.png",
    "noface_insightface_mask_blue.jpg",
  ]
) {
  const raster = await decodeImage(await Deno.readFile(`${misc}/${file}`));
  noFaceDetections += (await detectFaces(detector, raster, opts)).length;
}
console.log(JSON.stringify({
  options: opts,
  recall: Math.round((found / total) * 1000) / 1000,
  found,
  total,
  unmatched_detections: extra,
  missed_sizes_px: missedSizes.sort((a, b) => a - b),
  smallest_found_px: Math.min(...foundSizes),
  detections_on_noface_images: noFaceDetections,
  ms_per_image: Math.round(ms / gt.size),
}));
