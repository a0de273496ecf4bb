/**
 * Runs a webhook's action through the very routes clients call (enroll, verify, identify),
 * dispatched in-process on a private Hono app, so validation, the quality gate and the match
 * logic are the same code. Errors of those routes propagate as thrown `FaceError`s.
 *
 * @module
 */
import { Hono } from "hono";
import type { UploadData } from "../lib/webhook/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { ApiRegistry } from "./_openapi.ts";
import { enrollRoutes } from "./enroll.ts";
import { identifyRoutes } from "./identify.ts";
import { verifyRoutes } from "./verify.ts";

/** Performs an upload's action on image bytes; resolves to the route's JSON body. */
export type UploadActionRunner = (data: UploadData, image: Uint8Array) => Promise<unknown>;

/**
 * Builds the runner for `s` (the routes are registered on a private registry, so the OpenAPI
 * document does not list them twice).
 */
export function uploadActionRunner(s: Services): UploadActionRunner {
  const inner = new Hono<AppEnv>();
  const own: Services = { ...s, api: new ApiRegistry() };
  for (const routes of [enrollRoutes, verifyRoutes, identifyRoutes]) inner.route("/", routes(own));
  inner.onError((err) => {
    throw err;
  });
  return async (data, image) => {
    const base = `/v1/collections/${encodeURIComponent(data.collection)}`;
    const subject = `${base}/subjects/${encodeURIComponent(data.subject ?? "")}`;
    const path = data.action === "identify"
      ? `${base}/identify`
      : data.action === "verify"
      ? `${subject}/verify`
      : `${subject}/faces`;
    let init: RequestInit = {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: image as Uint8Array<ArrayBuffer>,
    };
    if (data.action === "enroll" && data.metadata !== undefined) {
      const form = new FormData();
      form.set("image", new Blob([image as Uint8Array<ArrayBuffer>]), "upload");
      form.set("metadata", JSON.stringify(data.metadata));
      init = { method: "POST", body: form };
    }
    const res = await inner.request(path, init);
    return await res.json();
  };
}
