/**
 * Outbound HTTP for URLs that a third party chose (the image of an upload webhook, the callback):
 * https only, allowlisted hosts only, public addresses only, redirects followed by hand and
 * re-checked, a size cap while streaming and one deadline for the whole exchange.
 *
 * Residual risk: the addresses are checked with `Deno.resolveDns` before `fetch` resolves the
 * host again, so a DNS server answering differently within milliseconds (rebinding) is not
 * excluded; the host allowlist is the primary control. Runtimes without `Deno.resolveDns`
 * (Workers) only get the checks of IP literals.
 *
 * @module
 */
import { FaceError, type FaceErrorCode } from "../errors.ts";
import { type AddressClass, classifyAddress } from "./classify_address.ts";
import { isAllowedHost } from "./is_allowed_host.ts";

/** Resolves a host name to addresses of one record type. */
export type DnsResolver = (
  host: string,
  type: "A" | "AAAA",
  options: { signal: AbortSignal },
) => Promise<string[]>;

/** Options for {@linkcode safeFetch}. */
export interface SafeFetchOptions {
  /** Allowed hosts: exact, or `*.suffix` (see `isAllowedHost`). Empty refuses every URL. */
  allowedHosts: readonly string[];
  /** Largest accepted response body in bytes. */
  maxBytes: number;
  /** Error code for a body over `maxBytes`. Default: `"payload_too_large"`. */
  tooLargeCode?: Extract<FaceErrorCode, "payload_too_large" | "image_too_large">;
  /** TESTS ONLY: allow `http:` and loopback addresses (only loopback). Default: false. */
  allowInsecureLoopback?: boolean;
  /** Redirects followed at most (each target is checked like the first URL). Default: 3. */
  maxRedirects?: number;
  /** Deadline for DNS, all requests and the body, in ms. Default: 10000. */
  timeoutMs?: number;
  /** Request method. Default: `"GET"`. */
  method?: "GET" | "POST";
  /** Request headers. Default: none. */
  headers?: Record<string, string>;
  /** Request body (POST). Default: none. */
  body?: string;
  /** The fetch function. Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** DNS resolver; null skips resolution. Default: `Deno.resolveDns` where it exists, else null. */
  resolveDns?: DnsResolver | null;
}

/** A successful response, fully read. */
export interface SafeFetchResult {
  /** The final URL (after redirects). */
  url: string;
  /** The final status (2xx). */
  status: number;
  /** The `content-type` header, or null. */
  contentType: string | null;
  /** The body. */
  bytes: Uint8Array<ArrayBuffer>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `url` under the rules of the module doc.
 *
 * @param url The absolute URL.
 * @param options See {@linkcode SafeFetchOptions}.
 * @returns The final 2xx response with its body.
 * @throws {FaceError} `url_not_allowed` (422) for a bad URL or scheme, a host off the allowlist
 *   or a non-public address, also as a redirect target; `payload_too_large` / `image_too_large`
 *   (413) for a body over `maxBytes`; `upstream_failed` (502) for a timeout, a DNS or network
 *   failure, too many redirects or a non-2xx final status (`details.upstream_status`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeFetch } from "./safe_fetch.ts";
 * await assert.rejects(
 *   safeFetch("https://169.254.169.254/latest/meta-data/", {
 *     allowedHosts: ["169.254.169.254"],
 *     maxBytes: 1024,
 *   }),
 *   { code: "url_not_allowed" },
 * );
 * ```
 */
export async function safeFetch(url: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const resolve = options.resolveDns === undefined ? defaultResolver() : options.resolveDns;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const signal = AbortSignal.timeout(timeoutMs);
  let method = options.method ?? "GET";
  let body = options.body;
  let current = url;
  try {
    for (let hop = 0;; hop++) {
      const target = await checkUrl(current, options, resolve, signal);
      const res = await doFetch(target, {
        method,
        headers: options.headers,
        body,
        redirect: "manual",
        signal,
      });
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel();
        const location = res.headers.get("location");
        if (location === null) throw upstream(`a ${res.status} redirect has no Location`);
        if (hop >= (options.maxRedirects ?? 3)) {
          throw upstream(`more than ${options.maxRedirects ?? 3} redirects`);
        }
        current = new URL(location, target).href;
        if (res.status === 303 || (method === "POST" && res.status !== 307 && res.status !== 308)) {
          method = "GET";
          body = undefined;
        }
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel();
        throw upstream(`the server answered ${res.status}`, { upstream_status: res.status });
      }
      const bytes = await readCapped(res, options.maxBytes, options.tooLargeCode);
      return {
        url: target.href,
        status: res.status,
        contentType: res.headers.get("content-type"),
        bytes,
      };
    }
  } catch (err) {
    if (err instanceof FaceError) throw err;
    if (signal.aborted) {
      throw upstream(`no complete answer within ${timeoutMs} ms`, { reason: "timeout" }, err);
    }
    throw upstream("the request failed", { reason: "network" }, err);
  }
}

async function checkUrl(
  text: string,
  options: SafeFetchOptions,
  resolve: DnsResolver | null,
  signal: AbortSignal,
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused("it is not an absolute URL", "invalid_url");
  }
  const insecureOk = options.allowInsecureLoopback === true;
  if (url.protocol !== "https:" && !(insecureOk && url.protocol === "http:")) {
    throw refused(`scheme ${url.protocol} is not https:`, "scheme");
  }
  if (url.username !== "" || url.password !== "") {
    throw refused("it carries credentials", "credentials");
  }
  const host = url.hostname;
  if (!isAllowedHost(host, options.allowedHosts)) {
    throw refused(`host ${JSON.stringify(host)} is not on the allowlist`, "host_not_allowed");
  }
  const classes = await addressClasses(host, resolve, signal);
  const loopbackOnly = classes.length > 0 && classes.every((c) => c === "loopback");
  for (const cls of classes) {
    if (cls !== "public" && !(insecureOk && cls === "loopback")) {
      throw refused(`host ${JSON.stringify(host)} has a ${cls} address`, "address", cls);
    }
  }
  if (url.protocol === "http:" && !loopbackOnly) {
    throw refused("http: is only allowed to loopback addresses in tests", "scheme");
  }
  return url;
}

async function addressClasses(
  host: string,
  resolve: DnsResolver | null,
  signal: AbortSignal,
): Promise<AddressClass[]> {
  const literal = classifyAddress(host);
  if (literal !== undefined) return [literal];
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return ["loopback"];
  if (resolve === null) return [];
  const answers = await Promise.allSettled([
    resolve(name, "A", { signal }),
    resolve(name, "AAAA", { signal }),
  ]);
  if (signal.aborted) throw signal.reason;
  const addresses = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
  if (addresses.length === 0) {
    throw upstream(`cannot resolve host ${JSON.stringify(host)}`, { reason: "dns" });
  }
  return addresses.map((a) => classifyAddress(a) ?? "reserved");
}

async function readCapped(
  res: Response,
  maxBytes: number,
  code: SafeFetchOptions["tooLargeCode"] = "payload_too_large",
): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () =>
    new FaceError(code, `Cannot fetch URL: the body exceeds ${maxBytes} bytes`, {
      details: { limit: maxBytes },
    });
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (res.body === null) return new Uint8Array(0);
  let buf = new Uint8Array(Math.min(Number.isFinite(declared) ? declared : 65536, maxBytes));
  let length = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (length + value.length > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    if (length + value.length > buf.length) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(buf.length * 2, length + value.length)),
      );
      grown.set(buf.subarray(0, length));
      buf = grown;
    }
    buf.set(value, length);
    length += value.length;
  }
  return buf.slice(0, length);
}

function defaultResolver(): DnsResolver | null {
  const deno = (globalThis as { Deno?: { resolveDns?: unknown } }).Deno;
  if (typeof deno?.resolveDns !== "function") return null;
  return (host, type, options) => Deno.resolveDns(host, type, options);
}

function refused(why: string, reason: string, addressClass?: AddressClass): FaceError {
  return new FaceError("url_not_allowed", `Cannot fetch URL: ${why}`, {
    details: addressClass === undefined ? { reason } : { reason, address_class: addressClass },
  });
}

function upstream(why: string, details?: Record<string, unknown>, cause?: unknown): FaceError {
  return new FaceError("upstream_failed", `Cannot fetch URL: ${why}`, { details, cause });
}
