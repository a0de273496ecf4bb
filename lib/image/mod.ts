/**
 * Image decoding and pixel helpers: JPEG, PNG, WebP, HEIC, AVIF and GIF to 8-bit RGBA with size
 * limits and orientation, a PNG encoder for previews, plus crop, resize and orientation transforms.
 *
 * @module
 */

export type { Raster } from "./raster.ts";
export { decodeImage, type DecodeImageOptions, DEFAULT_MAX_DECODED_BYTES } from "./decode_image.ts";
export { readImageSize } from "./read_image_size.ts";
export { encodePng } from "./encode_png.ts";
export { type ImageCodecs, setImageCodecs } from "./set_image_codecs.ts";
export { type Orientation, orientRaster } from "./orient_raster.ts";
export { resizeBilinear } from "./resize_bilinear.ts";
export { cropRaster, type CropRect } from "./crop_raster.ts";
