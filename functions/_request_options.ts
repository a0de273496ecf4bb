/**
 * Per-request options, read from the query string and (for JSON / multipart bodies) body fields
 * with the use cases' `readOptions` (a value given in both places must agree), and their OpenAPI
 * parameters.
 *
 * @module
 */
import type { HonoRequest } from "hono";
import type { ParameterSpec } from "./_openapi.ts";
import { type ImageInput, readImageInput } from "./_image_input.ts";
import {
  FAR_PRESETS,
  readOptions,
  type ReadOptionsSpec,
  type RequestOptions,
} from "../lib/usecases/mod.ts";

/** The images of a request with its options. */
export interface ImageRequest extends ImageInput {
  /** The options given (see {@linkcode readOptions}). */
  options: RequestOptions;
}

/**
 * Reads the images of an image route and the options it accepts, from the query string and the
 * body's other fields.
 *
 * @param req The request.
 * @param names Required image fields, e.g. `["image"]` or `["a", "b"]`.
 * @param spec What the route accepts.
 * @throws {FaceError} As `readImageInput` and {@linkcode readOptions} do.
 */
export async function readImageRequest(
  req: HonoRequest,
  names: string[],
  spec: ReadOptionsSpec,
): Promise<ImageRequest> {
  const { images, fields } = await readImageInput(req, names);
  return { images, fields, options: readOptions(req.query(), fields, spec) };
}

/** OpenAPI docs of the options, for route declarations. */
export const OPTION_PARAMS = {
  face: (values: readonly string[], fallback: string): ParameterSpec => ({
    name: "face",
    in: "query",
    description: `Which face to use: ${values.join(" | ")} (default ${fallback}). ` +
      "`single` refuses images with several faces; `primary` takes the largest face weighted by " +
      "closeness to the centre (the subject of a portrait even when a bystander's face is bigger).",
    schema: { type: "string", enum: [...values] },
  }),
  threshold: {
    name: "threshold",
    in: "query",
    description: "L2 distance threshold in (0, 2]; a pair matches when distance <= threshold.",
    schema: { type: "number", exclusiveMinimum: 0, maximum: 2 },
  },
  far: {
    name: "far",
    in: "query",
    description: "Use the calibrated threshold at this false-accept rate (not with threshold); " +
      "0.01, 0.001 and 0.0001 name the same presets.",
    schema: { type: "string", enum: [...FAR_PRESETS, "0.01", "0.001", "0.0001"] },
  },
  k: {
    name: "k",
    in: "query",
    description: "Number of candidates, 1..50 (default 5).",
    schema: { type: "integer", minimum: 1, maximum: 50 },
  },
  liveness: {
    name: "liveness",
    in: "query",
    description: "`true` judges the probe with the passive liveness model (a face judged not " +
      "live never matches); `false` skips a collection policy's liveness requirement (admin " +
      "keys only, audited). Default: the collection's match policy decides.",
    schema: { type: "boolean" },
  },
  liveness_token: {
    name: "liveness_token",
    in: "query",
    description: "The token of a passed liveness challenge (`POST /v1/liveness/sessions`), for a " +
      "collection whose policy requires the `challenge` mode; single use, short-lived.",
    schema: { type: "string" },
  },
  expires_at: {
    name: "expires_at",
    in: "query",
    description: "The subject's expiry, an ISO 8601 time with a time zone, in the future and at " +
      "most 36500 days ahead: after it none of the subject's faces match, and a purge deletes " +
      "them. Replaces the subject's expiry (default: unchanged; none for a new subject).",
    schema: { type: "string", format: "date-time" },
  },
} satisfies Record<string, ParameterSpec | ((...args: never[]) => ParameterSpec)>;
