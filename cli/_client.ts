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
import { buildDeps } from "../functions/main.ts";
import { closeAppDeps } from "../functions/_deps.ts";

/** A handle on the API. */
export interface ApiClient {
  /** Where requests go, for messages (`local kv store` or the URL). */
  readonly target: string;
  /** Sends a request to `path` (with query string). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Releases the local stores, if any. */
  close(): Promise<void>;
}

/**
 * Opens a client on `url`, or in-process on the local store when `url` is undefined.
 *
 * Remote requests carry `Authorization: Bearer $FACEGATE_API_KEY` when that variable is set. The
 * local mode already has the store's credentials, so it runs without API keys or rate limits.
 *
 * @throws {FaceError} `invalid_request` for bad environment settings (local mode).
 */
export async function openClient(url: string | undefined): Promise<ApiClient> {
  if (url !== undefined) {
    const base = url.replace(/\/+$/, "");
    const apiKey = Deno.env.get("FACEGATE_API_KEY");
    return {
      target: base,
      request: (path, init) => {
        if (!apiKey) return fetch(base + path, init);
        const headers = new Headers(init?.headers);
        headers.set("authorization", `Bearer ${apiKey}`);
        return fetch(base + path, { ...init, headers });
      },
      close: () => Promise.resolve(),
    };
  }
  const config = { ...parseConfig(Deno.env.toObject()), auth: "off" as const, rateLimit: 0 };
  await fetchModels();
  const deps = await buildDeps(config);
  const app = createApp({ ...deps, logger: { info: () => {}, error: (f) => console.error(f) } });
  return {
    target: `local ${deps.store.kind} store`,
    request: async (path, init) => await app.request(path, init),
    close: () => closeAppDeps(deps),
  };
}

/** The media type of an image file, from its extension. */
export function imageType(path: string): string {
  const ext = path.toLowerCase().split(".").pop();
  return ext === "png"
    ? "image/png"
    : ext === "jpg" || ext === "jpeg"
    ? "image/jpeg"
    : "application/octet-stream";
}

/** A POST of an image file's bytes as a raw body. */
export async function imageRequest(path: string): Promise<RequestInit> {
  return {
    method: "POST",
    headers: { "content-type": imageType(path) },
    body: await Deno.readFile(path),
  };
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
