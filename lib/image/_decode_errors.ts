/**
 * The `FaceError`s `decodeImage` throws, built in one place so every format words them alike.
 *
 * @module
 */
import { FaceError } from "../errors.ts";

const MIB = 1024 * 1024;

/** The formats `decodeImage` decodes, as reported in refusals. */
export const ACCEPTED_FORMATS = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/heic",
  "image/avif",
  "image/gif",
] as const;

/** `invalid_image`: empty, unrecognised, truncated or corrupt data. */
export function invalid(reason: string, format?: string, cause?: unknown): FaceError {
  return new FaceError("invalid_image", `Cannot decode image: ${reason}`, {
    cause,
    details: format ? { format } : undefined,
  });
}

/** `unsupported_media_type`: a recognised format that is not decoded, naming the accepted ones. */
export function unsupported(format: string, what = format): FaceError {
  return new FaceError(
    "unsupported_media_type",
    `Cannot decode image: unsupported format "${what}"; accepted: ${ACCEPTED_FORMATS.join(", ")}`,
    { details: { format, supported: [...ACCEPTED_FORMATS] } },
  );
}

/** `image_too_large` for a header that declares more than `maxPixels`. */
export function tooManyPixels(width: number, height: number, maxPixels: number): FaceError {
  return new FaceError(
    "image_too_large",
    `Cannot decode image: ${width}x${height} exceeds the limit of ${maxPixels} pixels`,
    { details: { width, height, maxPixels } },
  );
}

/**
 * `image_too_large` for a decode whose estimate exceeds the budget: states the estimate, the
 * limit, and what to send instead (`advice`, e.g. "a JPEG, or a WebP of at most 4.8 megapixels").
 */
export function overBudget(
  size: { width: number; height: number },
  kind: string,
  need: number,
  budget: number,
  advice: string,
  details: Record<string, unknown>,
): FaceError {
  const mb = (n: number) => (n / MIB).toFixed(n < 10 * MIB ? 1 : 0);
  return new FaceError(
    "image_too_large",
    `Cannot decode image: a ${size.width}x${size.height} ${kind} needs about ${mb(need)} MiB to ` +
      `decode, over the limit of ${mb(budget)} MiB; send ${advice}`,
    {
      details: {
        width: size.width,
        height: size.height,
        ...details,
        decodeBytes: need,
        maxDecodedBytes: budget,
      },
    },
  );
}

/**
 * The largest square image, in megapixels (a multiple of 0.1), whose estimate `cost(side)` fits
 * `budget`; 0 when not even 0.1 MP does.
 */
export function largestFitting(budget: number, cost: (side: number) => number): number {
  let tenths = 0;
  while (tenths < 5000) {
    const side = Math.ceil(Math.sqrt((tenths + 1) * 100_000));
    if (cost(side) > budget) break;
    tenths++;
  }
  return tenths / 10;
}
