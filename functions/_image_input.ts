/**
 * Reads the image(s) of a request: a raw body (`image/jpeg`, `image/png`, `image/webp`,
 * `image/heic`, `image/heif`, `image/avif`, `image/gif`, `application/octet-stream`), multipart
 * fields, or JSON members holding base64 (or `data:` URLs). The declared type only selects how the
 * body is read: the decoder sniffs the format from the bytes (an HEIC sent as
 * `application/octet-stream` or a WebP named `.jpg` decode alike). The body size limit is enforced
 * before this runs (see `app.ts`); the decoder checks the rest.
 *
 * @module
 */
import type { HonoRequest } from "hono";
import { FaceError } from "../lib/errors.ts";

/** The images and the other body fields of a request. */
export interface ImageInput {
  /** Encoded image bytes by field name (`image` for raw bodies). */
  images: Record<string, Uint8Array>;
  /** Other JSON members / multipart text fields (`metadata`, options...). */
  fields: Record<string, unknown>;
}

/** The image media types a raw body or a `data:` URL may declare. */
export const IMAGE_MEDIA_TYPES = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/heic",
  "image/heif",
  "image/avif",
  "image/gif",
] as const;

const RAW_TYPES = new Set<string>([...IMAGE_MEDIA_TYPES, "application/octet-stream"]);

function mediaType(req: HonoRequest): string | undefined {
  const header = req.header("content-type");
  return header?.split(";")[0].trim().toLowerCase() || undefined;
}

function empty(what: string): FaceError {
  return new FaceError("invalid_request", `Cannot read image: ${what} is empty`);
}

/**
 * Decodes base64 or a base64 `data:` URL of an image media type or octet-stream.
 *
 * @param field The field name, for messages.
 * @param text The encoded text.
 * @returns The bytes.
 * @throws {FaceError} `invalid_request` for bad base64 or an empty value;
 *   `unsupported_media_type` for a data URL of another media type.
 */
export function decodeBase64Image(field: string, text: string): Uint8Array {
  let payload = text;
  const dataUrl = /^data:([^;,]*)(;[^,]*)?,/i.exec(text);
  if (dataUrl) {
    const type = dataUrl[1].toLowerCase();
    if (!RAW_TYPES.has(type)) {
      throw new FaceError(
        "unsupported_media_type",
        `Cannot read ${field}: data URL of type ${JSON.stringify(type)}; send one of ` +
          IMAGE_MEDIA_TYPES.join(", "),
        { details: { field } },
      );
    }
    if (!/;base64$/i.test(dataUrl[2] ?? "")) {
      throw new FaceError("invalid_request", `Cannot read ${field}: the data URL is not base64`, {
        details: { field },
      });
    }
    payload = text.slice(dataUrl[0].length);
  }
  payload = payload.replace(/\s+/g, "").replaceAll("-", "+").replaceAll("_", "/");
  if (payload === "") throw empty(field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload) || payload.length % 4 === 1) {
    throw new FaceError("invalid_request", `Cannot read ${field}: it is not valid base64`, {
      details: { field },
    });
  }
  return Uint8Array.fromBase64(payload.padEnd(Math.ceil(payload.length / 4) * 4, "="));
}

/**
 * Reads the images named `names` (raw bodies only carry one, named `names[0]`).
 *
 * @param req The request.
 * @param names Required image fields, e.g. `["image"]` or `["a", "b"]`.
 * @returns The images and the other fields.
 * @throws {FaceError} `unsupported_media_type` (415) for another content type; `invalid_request`
 *   (400) for an empty body, malformed JSON or multipart, a missing field or bad base64.
 */
export async function readImageInput(req: HonoRequest, names: string[]): Promise<ImageInput> {
  const type = mediaType(req);
  const expected = names.length === 1
    ? `${IMAGE_MEDIA_TYPES.join(", ")}, application/octet-stream, multipart/form-data or ` +
      "application/json"
    : "multipart/form-data or application/json";
  if (type !== undefined && RAW_TYPES.has(type) && names.length === 1) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.length === 0) throw empty("the request body");
    return { images: { [names[0]]: bytes }, fields: {} };
  }
  if (type === "multipart/form-data") return await readMultipart(req, names);
  if (type === "application/json") return await readJson(req, names);
  if (type === undefined && (await req.arrayBuffer()).byteLength === 0) {
    throw empty("the request body");
  }
  throw new FaceError(
    "unsupported_media_type",
    `Cannot read image: content type ${type ? JSON.stringify(type) : "missing"}; send ${expected}`,
    { details: { accepted: expected.replace(" or ", ", ").split(", ") } },
  );
}

async function readMultipart(req: HonoRequest, names: string[]): Promise<ImageInput> {
  let form: FormData;
  try {
    form = await req.raw.formData();
  } catch (cause) {
    throw new FaceError("invalid_request", "Cannot read image: the multipart body is malformed", {
      cause,
    });
  }
  const images: Record<string, Uint8Array> = {};
  const fields: Record<string, unknown> = {};
  for (const [key, value] of form) {
    if (names.includes(key)) continue;
    if (typeof value === "string") fields[key] = value;
  }
  for (const name of names) {
    const value = form.get(name);
    if (value === null) throw missing(name);
    if (typeof value === "string") {
      images[name] = decodeBase64Image(name, value);
    } else {
      const bytes = new Uint8Array(await value.arrayBuffer());
      if (bytes.length === 0) throw empty(`field ${name}`);
      images[name] = bytes;
    }
  }
  if (typeof fields.metadata === "string") fields.metadata = parseMetadata(fields.metadata);
  return { images, fields };
}

async function readJson(req: HonoRequest, names: string[]): Promise<ImageInput> {
  const text = await req.text();
  if (text.trim() === "") throw empty("the request body");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new FaceError("invalid_request", "Cannot read image: the body is not valid JSON", {
      cause,
    });
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new FaceError("invalid_request", "Cannot read image: the JSON body must be an object");
  }
  const { ...fields } = body as Record<string, unknown>;
  const images: Record<string, Uint8Array> = {};
  for (const name of names) {
    const value = fields[name];
    delete fields[name];
    if (value === undefined || value === null) throw missing(name);
    if (typeof value !== "string") {
      throw new FaceError("invalid_request", `Cannot read ${name}: it must be a base64 string`, {
        details: { field: name },
      });
    }
    images[name] = decodeBase64Image(name, value);
  }
  return { images, fields };
}

function missing(name: string): FaceError {
  return new FaceError("invalid_request", `Cannot read image: field ${name} is missing`, {
    details: { field: name },
  });
}

function parseMetadata(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new FaceError("invalid_request", "Cannot read metadata: it is not valid JSON", {
      cause,
      details: { field: "metadata" },
    });
  }
}
