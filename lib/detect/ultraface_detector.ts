/**
 * Face detection with UltraFace RFB-320 over a whole photo: a letterboxed pass over the full image,
 * a padded pass when a face fills the frame, and overlapping tiles at finer scales for small faces
 * in large photos; all candidates are merged by NMS.
 *
 * @module
 */
import type { Raster } from "../image/raster.ts";
import { type Affine } from "../align/affine.ts";
import { warpToTensor } from "../align/warp_to_tensor.ts";
import type { OrtSession } from "../onnx/mod.ts";
import { Tensor } from "../onnx/mod.ts";
import type { Detection } from "./box.ts";
import { nms } from "./nms.ts";

const IN_W = 320;
const IN_H = 240;

/** Options for {@linkcode detectFaces}. */
export interface DetectFacesOptions {
  /** Minimum detector score. Default: 0.7. */
  scoreThreshold?: number;
  /** NMS IoU threshold. Default: 0.4. */
  iouThreshold?: number;
  /**
   * Extra passes over overlapping tiles at finer scales (never finer than the source pixels), up
   * to this many tiles in total; 0 disables. Default: 12.
   */
  maxTiles?: number;
  /** Minimum score for detections from tiles (small faces; fewer false alarms). Default: 0.8. */
  tileScoreThreshold?: number;
  /**
   * Skip the tile passes when the whole-image pass already found a face (enough when only the
   * largest face is wanted: a face too small for the whole-image pass is smaller than any face it
   * found). Default: false.
   */
  tilesOnlyWhenEmpty?: boolean;
  /** Plane order of the detector input (manifest `input.channels`). Default: `"rgb"`. */
  channels?: "rgb" | "bgr";
  /** Retry with a 35 % padded frame when nothing is found (face fills the frame). Default: true. */
  padRetry?: boolean;
}

/** A square-pixel 4:3 window of the source image that one detector pass sees. */
interface Window {
  x: number;
  y: number;
  /** Source pixels per detector pixel. */
  scale: number;
  /** Whether detections touching this window's inner edges should be dropped (tiles). */
  tile: boolean;
}

function runWindow(
  session: OrtSession,
  raster: Raster,
  win: Window,
  scoreThreshold: number,
  channels: "rgb" | "bgr",
): Promise<Detection[]> {
  const s = 1 / win.scale;
  const toOutput: Affine = [s, 0, -win.x * s, 0, s, -win.y * s];
  const input = warpToTensor(raster, toOutput, IN_W, IN_H, {
    channels,
    mean: 127,
    std: 128,
    fill: 127,
  });
  return session.run({ input: new Tensor("float32", input, [1, 3, IN_H, IN_W]) }).then((out) => {
    const scores = out.scores.data as Float32Array;
    const boxes = out.boxes.data as Float32Array;
    const found: Detection[] = [];
    const winW = IN_W * win.scale, winH = IN_H * win.scale;
    for (let i = 0; i < scores.length / 2; i++) {
      const score = scores[2 * i + 1];
      if (score < scoreThreshold) continue;
      const x1 = boxes[4 * i] * IN_W, y1 = boxes[4 * i + 1] * IN_H;
      const x2 = boxes[4 * i + 2] * IN_W, y2 = boxes[4 * i + 3] * IN_H;
      if (!(x2 > x1 && y2 > y1)) continue;
      if (win.tile) {
        // A box cut by an inner tile edge is a partial face; a neighbour tile or a coarser pass
        // sees it whole.
        const m = 2;
        const atLeft = x1 <= m && win.x > 0, atTop = y1 <= m && win.y > 0;
        const atRight = x2 >= IN_W - m && win.x + winW < raster.width;
        const atBottom = y2 >= IN_H - m && win.y + winH < raster.height;
        if (atLeft || atTop || atRight || atBottom) continue;
      }
      const bx1 = Math.max(0, win.x + x1 * win.scale), by1 = Math.max(0, win.y + y1 * win.scale);
      const bx2 = Math.min(raster.width, win.x + x2 * win.scale);
      const by2 = Math.min(raster.height, win.y + y2 * win.scale);
      if (bx2 - bx1 < 2 || by2 - by1 < 2) continue;
      found.push({ box: { x: bx1, y: by1, width: bx2 - bx1, height: by2 - by1 }, score });
    }
    return found;
  });
}

/** The windows of one run: the whole image, then tile levels while the budget allows. */
export function planWindows(width: number, height: number, maxTiles: number): Window[] {
  const base = Math.max(width / IN_W, height / IN_H);
  const windows: Window[] = [{
    x: (width - IN_W * base) / 2,
    y: (height - IN_H * base) / 2,
    scale: base,
    tile: false,
  }];
  let used = 0;
  for (let scale = base / 2; scale >= 1 && maxTiles > 0; scale /= 2) {
    const ww = IN_W * scale, wh = IN_H * scale;
    const nx = width <= ww ? 1 : Math.ceil((width - ww) / (ww * 0.75)) + 1;
    const ny = height <= wh ? 1 : Math.ceil((height - wh) / (wh * 0.75)) + 1;
    if (used + nx * ny > maxTiles) break;
    used += nx * ny;
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const x = nx === 1 ? (width - ww) / 2 : (i * (width - ww)) / (nx - 1);
        const y = ny === 1 ? (height - wh) / 2 : (j * (height - wh)) / (ny - 1);
        windows.push({ x, y, scale, tile: true });
      }
    }
  }
  return windows;
}

/**
 * Finds every face in `raster`. Boxes are in source pixels, clamped to the image, sorted by score.
 *
 * @param session the UltraFace RFB-320 session (input `input` 1×3×240×320, outputs `scores`, `boxes`).
 * @returns detections after NMS; empty when there is no face.
 */
export async function detectFaces(
  session: OrtSession,
  raster: Raster,
  options: DetectFacesOptions = {},
): Promise<Detection[]> {
  const threshold = options.scoreThreshold ?? 0.7;
  const iouThreshold = options.iouThreshold ?? 0.4;
  const channels = options.channels ?? "rgb";
  const all: Detection[] = [];
  const tileThreshold = Math.max(threshold, options.tileScoreThreshold ?? 0.8);
  const [whole, ...tiles] = planWindows(raster.width, raster.height, options.maxTiles ?? 12);
  all.push(...await runWindow(session, raster, whole, threshold, channels));
  if (!(options.tilesOnlyWhenEmpty && all.length > 0)) {
    for (const win of tiles) {
      all.push(...await runWindow(session, raster, win, tileThreshold, channels));
    }
  }
  if (all.length === 0 && (options.padRetry ?? true)) {
    const base = Math.max(raster.width / IN_W, raster.height / IN_H) * 1.7;
    all.push(
      ...await runWindow(
        session,
        raster,
        {
          x: (raster.width - IN_W * base) / 2,
          y: (raster.height - IN_H * base) / 2,
          scale: base,
          tile: false,
        },
        threshold,
        channels,
      ),
    );
  }
  return nms(all, { iouThreshold });
}
