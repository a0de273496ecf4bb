/**
 * Preview: an image of any accepted format as a small upright PNG, for clients that cannot show
 * the format themselves (the web app with a HEIC in Chromium).
 *
 * @module
 */
import { decodeImage, encodePng, readImageSize, resizeBilinear } from "../image/mod.ts";
import type { UseCaseDeps } from "./use_case_deps.ts";

/** What {@linkcode previewImage} returns. */
export interface ImagePreview {
  /** The PNG. */
  png: Uint8Array;
  /** The upright full size of the image: the pixels detect's boxes are reported in. */
  width: number;
  height: number;
}

/**
 * Decodes `image` within the configured limits and returns it upright as an RGBA PNG whose longer
 * side is at most `maxSide` (it is never enlarged).
 *
 * @param deps The decoder limits of {@linkcode UseCaseDeps}.
 * @param image The encoded image.
 * @param maxSide Longest side of the PNG. Default: 1280.
 * @throws {FaceError} The decoder's errors (`invalid_image`, `image_too_large`,
 *   `unsupported_media_type`).
 */
export async function previewImage(
  deps: Pick<UseCaseDeps, "limits">,
  image: Uint8Array,
  maxSide = 1280,
): Promise<ImagePreview> {
  let raster = await decodeImage(image, { ...deps.limits, maxDimension: maxSide });
  const full = readImageSize(image) ?? { width: raster.width, height: raster.height };
  const scale = maxSide / Math.max(raster.width, raster.height);
  if (scale < 1) {
    raster = resizeBilinear(
      raster,
      Math.max(1, Math.round(raster.width * scale)),
      Math.max(1, Math.round(raster.height * scale)),
    );
  }
  return { png: await encodePng(raster), ...full };
}
