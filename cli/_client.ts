/**
 * What the CLIs talk to: a running server over HTTP (`--url`), or the use cases in-process on the
 * local store configured by the environment (the dev server's configuration), built by the same
 * composition root as the server (`app/`). Both answer an {@linkcode Answer} per operation, so the
 * CLIs have one code path.
 *
 * @module
 */
import { parseConfig } from "../lib/config.ts";
import { FaceError } from "../lib/errors.ts";
import { roundBox } from "../lib/detect/mod.ts";
import {
  callerUnder,
  enrollFace,
  identifyFace,
  identifyFaces,
  readOptions,
  type ReadOptionsSpec,
  verifySubject,
} from "../lib/usecases/mod.ts";
import { fetchModels } from "../models/fetch_models.ts";
import { closeDeps, composeOnDeno, useCaseDeps } from "../app/mod.ts";
import { CliError, readImageFile } from "./_cli.ts";

/** One answer: the operation's result, or the problem that refused it. */
export interface Answer {
  /** Whether the operation succeeded. */
  ok: boolean;
  /** The result, or the problem (`code`, `detail` and its details). */
  body: Record<string, unknown>;
  /** The HTTP status (`--url`); undefined in-process. */
  status?: number;
  /**
   * Whether the refusal is about the setup, not this image (the store, the models, the server, the
   * API key): the CLIs stop or count it as a failure.
   */
  fatal: boolean;
  /** A remembered answer replayed by the server (`idempotent-replayed`). */
  replayed: boolean;
}

/** The image and options of one operation, as the CLIs' flags give them. */
export interface ImageCall {
  /** Collection name. */
  collection: string;
  /** Path of the image file. */
  image: string;
  /** Which face (`--face`). */
  face?: string;
}

/** A handle on the API. */
export interface ApiClient {
  /** Where requests go, for messages (`local kv store` or the URL). */
  readonly target: string;
  /** Enrolls the image's face into `subject`, at most once per `idempotencyKey`. */
  enroll(call: ImageCall & { subject: string; idempotencyKey: string }): Promise<Answer>;
  /** Verifies the image's face against `subject`. */
  verify(call: ImageCall & { subject: string; threshold?: string; far?: string }): Promise<Answer>;
  /** Identifies the image's face(s) in the collection. */
  identify(call: ImageCall & { k?: string; threshold?: string; far?: string }): Promise<Answer>;
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
 * as a trusted caller (as the server does with `FACEGATE_AUTH=off`).
 *
 * @throws {CliError} For a URL that is not http(s).
 * @throws {FaceError} `invalid_request` for bad environment settings (local mode).
 */
export async function openClient(url: string | undefined): Promise<ApiClient> {
  return url === undefined ? await localClient() : remoteClient(url);
}

function remoteClient(url: string): ApiClient {
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
  const answer = async (path: string, init: RequestInit): Promise<Answer> => {
    const res = await send(path, init);
    return {
      ok: res.ok,
      body: await readJson(res),
      status: res.status,
      fatal: res.status >= 500 || res.status === 401 || res.status === 403,
      replayed: res.headers.get("idempotent-replayed") === "true",
    };
  };
  const collection = (c: string) => `/v1/collections/${encodePath(c)}`;
  return {
    target: base,
    enroll: async (call) => {
      const init = await imageRequest(call.image);
      return await answer(
        `${collection(call.collection)}/subjects/${encodePath(call.subject)}/faces${
          queryString({ face: call.face })
        }`,
        {
          ...init,
          headers: {
            ...init.headers as Record<string, string>,
            "idempotency-key": call.idempotencyKey,
          },
        },
      );
    },
    verify: async (call) =>
      await answer(
        `${collection(call.collection)}/subjects/${encodePath(call.subject)}/verify${
          queryString({ threshold: call.threshold, far: call.far, face: call.face })
        }`,
        await imageRequest(call.image),
      ),
    identify: async (call) =>
      await answer(
        `${collection(call.collection)}/identify${
          queryString({ k: call.k, threshold: call.threshold, far: call.far, face: call.face })
        }`,
        await imageRequest(call.image),
      ),
    close: () => Promise.resolve(),
  };
}

/** Problems after which the in-process CLIs stop: the store, the keys or the models are out. */
const LOCAL_FATAL = new Set([
  "store_unavailable",
  "store_key_unavailable",
  "model_unavailable",
  "internal_error",
]);

/** The faces each operation accepts, as the routes do. */
const FACES: Record<"enroll" | "verify" | "identify", ReadOptionsSpec> = {
  enroll: { faces: ["single", "largest", "center", "primary"] },
  verify: { faces: ["largest", "center", "primary", "single"], threshold: true },
  identify: { faces: ["largest", "center", "primary", "single", "all"], threshold: true, k: true },
};

async function localClient(): Promise<ApiClient> {
  const config = { ...parseConfig(Deno.env.toObject()), auth: "off" as const, rateLimit: 0 };
  await fetchModels();
  const composed = await composeOnDeno(config);
  const deps = useCaseDeps({
    ...composed,
    logger: { info: () => {}, error: (f) => console.error(f) },
  });
  const caller = callerUnder(config.auth, {});
  const run = async (fn: () => Promise<unknown>): Promise<Answer> => {
    try {
      return {
        ok: true,
        body: await fn() as Record<string, unknown>,
        fatal: false,
        replayed: false,
      };
    } catch (err) {
      if (!(err instanceof FaceError)) {
        const detail = err instanceof Error ? err.message : String(err);
        return {
          ok: false,
          body: { code: "internal_error", detail },
          fatal: true,
          replayed: false,
        };
      }
      return {
        ok: false,
        body: { code: err.code, detail: err.message, ...err.details },
        fatal: LOCAL_FATAL.has(err.code),
        replayed: false,
      };
    }
  };
  return {
    target: `local ${composed.store.kind} store`,
    enroll: async (call) => {
      const image = await readImageFile(call.image);
      return await run(async () => {
        const options = readOptions(defined({ face: call.face }), {}, FACES.enroll);
        return await enrollFace(deps, {
          collection: call.collection,
          subject: call.subject,
          image,
          face: options.face,
          idempotencyKey: call.idempotencyKey,
          caller,
        });
      });
    },
    verify: async (call) => {
      const image = await readImageFile(call.image);
      return await run(async () => {
        const { face, threshold, far } = call;
        const options = readOptions(defined({ face, threshold, far }), {}, FACES.verify);
        return await verifySubject(deps, {
          collection: call.collection,
          subject: call.subject,
          image,
          ...options,
          caller,
        });
      });
    },
    identify: async (call) => {
      const image = await readImageFile(call.image);
      return await run(async () => {
        const { face, threshold, far, k } = call;
        const options = readOptions(defined({ face, threshold, far, k }), {}, FACES.identify);
        const input = {
          collection: call.collection,
          image,
          ...options,
          caller,
        };
        if (options.face !== "all") return await identifyFace(deps, input);
        const all = await identifyFaces(deps, input);
        return { ...all, faces: all.faces.map((f) => ({ ...f, box: roundBox(f.box) })) };
      });
    },
    close: () => closeDeps(composed),
  };
}

/** The entries of `values` that are defined. */
function defined(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined),
  );
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
