/**
 * Shared by the route tests: an app on a fresh MemoryFaceStore using the process-wide model
 * sessions of `tests/_data.ts`, photos of the shared data set, and problem assertions.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Config, parseConfig } from "../../lib/config.ts";
import { type FaceStore, MemoryFaceStore } from "../../lib/store/mod.ts";
import { MODEL_MANIFEST, type ModelManifest } from "../../models/manifest.ts";
import { type AppDeps, createApp } from "../../functions/app.ts";
import type { Backend } from "../../lib/backend/mod.ts";
import type { Limits } from "../../functions/_limits.ts";
import type { ProblemBody } from "../../functions/problem.ts";
import { dataDir, sessions } from "../_data.ts";

export { sessions };

/** The shared data set (`$FACEGATE_DATA`, default `../shared/data`); throws when it is missing. */
export const DATA_ROOT: string = dataDir();

const cache = new Map<string, Uint8Array<ArrayBuffer>>();

/** Reads a file of the data set (cached). */
export function readData(relative: string): Uint8Array<ArrayBuffer> {
  let bytes = cache.get(relative);
  if (!bytes) {
    bytes = Deno.readFileSync(`${DATA_ROOT}/${relative}`);
    cache.set(relative, bytes);
  }
  return bytes;
}

/** Photos used across the route tests. */
export const PHOTOS = {
  /** Three photos of one person. */
  arnold1: "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0003.jpg",
  arnold2: "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0004.jpg",
  arnold3: "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0005.jpg",
  /** Two photos of another person. */
  serena1: "faces/Serena_Williams/Serena_Williams_0001.jpg",
  serena2: "faces/Serena_Williams/Serena_Williams_0002.jpg",
  /** Someone the route tests never enroll. */
  karzai: "faces/Hamid_Karzai/Hamid_Karzai_0001.jpg",
  /** A landscape without a face. */
  noFace: "faces-misc/noface_insightface_view.jpg",
  /** Six faces. */
  multi: "faces-misc/multi_facenet-pytorch_multiface.jpg",
  /** A face in full profile: fails the quality gate (yaw). */
  profile: "faces-misc/pose_insightface_left_face.jpeg",
  /** A PNG with one face. */
  png: "faces-misc/quality_face_recognition_32bit.png",
} as const;

/** Log lines captured by {@linkcode makeApp}. */
export type CapturedLog = Record<string, unknown>[];

/** Options for {@linkcode makeApp}. */
export interface MakeAppOptions {
  /**
   * Extra environment for `parseConfig`. Default: `{}` (store is always memory; auth is off
   * unless `FACEGATE_AUTH` says otherwise: `tests/functions/auth_test.ts` covers keys).
   */
  env?: Record<string, string>;
  /** Manifest override. Default: the committed manifest. */
  manifest?: ModelManifest;
  /** The store (e.g. one with a failing method). Default: a fresh `MemoryFaceStore`. */
  store?: FaceStore;
  /** Body budget and pipeline gate. Default: built from the config. */
  limits?: Limits;
}

/** An app on a fresh in-memory store (or `options.store`), with its logs captured. */
export function makeApp(options: MakeAppOptions = {}) {
  const config: Config = parseConfig({
    FACEGATE_AUTH: "off",
    ...options.env,
    FACEGATE_STORE: "memory",
  });
  const store = options.store ?? new MemoryFaceStore();
  const logs: CapturedLog = [];
  const app = createApp({
    pipeline: { sessions },
    store,
    config,
    manifest: options.manifest ?? MODEL_MANIFEST,
    logger: { info: (f) => logs.push(f), error: (f) => logs.push({ ...f, level: "error" }) },
    limits: options.limits,
  });
  return { app, store, logs, config };
}

/**
 * App dependencies over every store of `backend` (faces, keys, idempotency, policies, audit) with
 * `config`, the shared test sessions and the manifest; log lines go to `logs`. `extra` overrides.
 */
export function backendDeps(
  backend: Backend,
  config: Config,
  logs: CapturedLog,
  extra: Partial<AppDeps> = {},
): AppDeps {
  return {
    pipeline: { sessions },
    store: backend.faces,
    keys: backend.keys,
    idempotency: backend.idempotency,
    policies: backend.policies,
    audits: backend.audit,
    config,
    manifest: MODEL_MANIFEST,
    logger: { info: (f) => logs.push(f), error: (f) => logs.push(f) },
    ...extra,
  };
}

/** A raw POST of a data-set image (`image/jpeg` unless `type` says otherwise). */
export function postImage(relative: string, type = "image/jpeg"): RequestInit {
  return { method: "POST", headers: { "content-type": type }, body: readData(relative) };
}

/** A JSON PUT. */
export function putJson(body: unknown): RequestInit {
  return {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/** `app.request(path, init)` with `Authorization: Bearer <key>`. */
export function requestAs(
  app: { request(path: string, init?: RequestInit): Response | Promise<Response> },
  key: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  return Promise.resolve(app.request(path, { ...init, headers }));
}

/** A JSON POST. */
export function postJson(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

/** Base64 of bytes. */
export function base64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** Asserts a problem response with `status` and `code`, returning its body. */
export async function assertProblem(
  res: Response,
  status: number,
  code: string,
): Promise<ProblemBody> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = JSON.parse(text) as ProblemBody;
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(body.type, `/docs#problem-${code}`);
  assert.equal(typeof body.title, "string");
  assert.equal(typeof body.detail, "string");
  assert.equal(body.request_id, res.headers.get("x-request-id"));
  return body;
}

/** Asserts a 200-ish JSON response and returns its body. */
export async function json<T = Record<string, unknown>>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${text}`);
  assert.equal(res.headers.get("content-type"), "application/json");
  return JSON.parse(text) as T;
}
