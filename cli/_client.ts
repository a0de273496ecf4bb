/**
 * What the CLIs talk to: a running server (`--url`), or the same app in-process on the local store
 * configured by the environment (the dev server's configuration). Both answer `Response`s of the
 * same API, so the CLIs have one code path.
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { fetchModels } from "../models/fetch_models.ts";
import { createApp } from "../functions/app.ts";
import { composeOnDeno } from "../app/mod.ts";
import { closeDeps } from "../app/mod.ts";
import { CliError, readImageFile } from "./_cli.ts";

/** A handle on the API. */
export interface ApiClient {
  /** Where requests go, for messages (`local kv store` or the URL). */
  readonly target: string;
  /** Sends a request to `path` (with query string). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Releases the local stores, if any. */
  close(): Promise<void>;
}

/** How often a request answered 429 is retried after waiting its `Retry-After`. */
export const MAX_RATE_LIMIT_RETRIES = 5;
/** The longest single wait for `Retry-After`, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 120;

/**
 * Seconds to wait according to a `Retry-After` header (delta-seconds or an HTTP date), clamped to
 * 0..{@linkcode MAX_RETRY_AFTER_SECONDS}; 1 when absent or unreadable.
 */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number {
  if (header === null) return 1;
  const v = header.trim();
  let seconds = /^\d+$/.test(v) ? Number(v) : (Date.parse(v) - now) / 1000;
  if (!Number.isFinite(seconds)) seconds = 1;
  return Math.min(Math.max(Math.ceil(seconds), 0), MAX_RETRY_AFTER_SECONDS);
}

/** Why a fetch to `base` failed, as one line. */
function unreachable(base: string, err: unknown): CliError {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : String(err);
  const reason = /refused/i.test(text)
    ? "connection refused"
    : /dns|lookup|resolve|name/i.test(text)
    ? "host not found"
    : /timed? ?out/i.test(text)
    ? "timed out"
    : text.split("\n")[0];
  return new CliError(
    `cannot reach ${base} (${reason}): is the server running? (\`deno task dev\`, or drop --url ` +
      "to use the local store)",
  );
}

/**
 * Opens a client on `url`, or in-process on the local store when `url` is undefined.
 *
 * Remote requests carry `Authorization: Bearer $FACEGATE_API_KEY` when that variable is set; a
 * 429 answer is retried after its `Retry-After` (at most {@linkcode MAX_RATE_LIMIT_RETRIES}
 * times, saying so on stderr). The local mode already has the store's credentials, so it runs
 * without API keys or rate limits.
 *
 * @throws {CliError} For a URL that is not http(s).
 * @throws {FaceError} `invalid_request` for bad environment settings (local mode).
 */
export async function openClient(url: string | undefined): Promise<ApiClient> {
  if (url !== undefined) {
    if (!/^https?:\/\/[^/]/.test(url)) {
      throw new CliError(`--url must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    const base = url.replace(/\/+$/, "");
    const apiKey = Deno.env.get("FACEGATE_API_KEY");
    const send = async (path: string, init?: RequestInit): Promise<Response> => {
      const headers = new Headers(init?.headers);
      if (apiKey) headers.set("authorization", `Bearer ${apiKey}`);
      for (let attempt = 0;; attempt++) {
        let res: Response;
        try {
          res = await fetch(base + path, { ...init, headers });
        } catch (err) {
          throw unreachable(base, err);
        }
        if (res.status !== 429 || attempt >= MAX_RATE_LIMIT_RETRIES) return res;
        const wait = retryAfterSeconds(res.headers.get("retry-after"));
        await res.body?.cancel();
        console.error(
          `rate limited by ${base}: retrying in ${wait} s (Retry-After, ` +
            `attempt ${attempt + 1}/${MAX_RATE_LIMIT_RETRIES})`,
        );
        await new Promise((r) => setTimeout(r, wait * 1000));
      }
    };
    return { target: base, request: send, close: () => Promise.resolve() };
  }
  const config = { ...parseConfig(Deno.env.toObject()), auth: "off" as const, rateLimit: 0 };
  await fetchModels();
  const deps = await composeOnDeno(config);
  const app = createApp({ ...deps, logger: { info: () => {}, error: (f) => console.error(f) } });
  return {
    target: `local ${deps.store.kind} store`,
    request: async (path, init) => await app.request(path, init),
    close: () => closeDeps(deps),
  };
}

/** The media type of an image file, from its extension. */
export function imageType(path: string): string {
  const ext = path.toLowerCase().split(".").pop() ?? "";
  const types: Record<string, string> = {
    png: "image/png",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    webp: "image/webp",
    heic: "image/heic",
    heif: "image/heif",
    avif: "image/avif",
    gif: "image/gif",
  };
  return types[ext] ?? "application/octet-stream";
}

/**
 * A POST of an image file's bytes as a raw body.
 *
 * @throws {CliError} When the file cannot be read.
 */
export async function imageRequest(path: string): Promise<RequestInit> {
  return {
    method: "POST",
    headers: { "content-type": imageType(path) },
    body: await readImageFile(path) as BodyInit,
  };
}

/** Reads a JSON answer; a body that is not JSON becomes `{}`. */
export async function readJson(res: Response): Promise<Record<string, unknown>> {
  const body = await res.json().catch(() => ({}));
  return body !== null && typeof body === "object" ? body as Record<string, unknown> : {};
}

/** Builds `?a=1&b=2` from the defined entries (empty string when none). */
export function queryString(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

/** Percent-encodes one path segment. */
export function encodePath(segment: string): string {
  return encodeURIComponent(segment);
}
