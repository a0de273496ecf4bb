/**
 * `POST /v1/liveness/sessions` and `POST /v1/liveness/sessions/{session_id}/frames`: challenge
 * liveness for untrusted clients (the rules are in `startLivenessSession` and
 * `checkLivenessFrames`).
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { checkLivenessFrames, startLivenessSession } from "../lib/usecases/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { NAME_PATTERN, ref } from "./_schemas.ts";
import { probeProblems } from "./_image_routes.ts";

/** Largest single frame of a burst, bytes (and at most `FACEGATE_MAX_BODY_BYTES`). */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

const bad = (field: string, why: string) =>
  new FaceError("invalid_request", `Cannot check liveness frames: ${why}`, { details: { field } });

/** Reads the multipart burst: `frame` files, `timestamps` (JSON array), `nonce`. */
async function readBurst(req: Request, maxFrame: number) {
  if (!/^multipart\/form-data/i.test(req.headers.get("content-type") ?? "")) {
    throw new FaceError(
      "unsupported_media_type",
      "Cannot check liveness frames: send multipart/form-data (frame files, timestamps, nonce)",
      { details: { accepted: ["multipart/form-data"] } },
    );
  }
  let form: FormData;
  try {
    form = await req.formData();
  } catch (cause) {
    throw new FaceError("invalid_request", "Cannot check liveness frames: malformed multipart", {
      cause,
    });
  }
  const frames: Uint8Array[] = [];
  for (const value of form.getAll("frame")) {
    if (typeof value === "string") throw bad("frame", "each frame must be a file part");
    if (value.size > maxFrame) {
      throw new FaceError(
        "payload_too_large",
        `Cannot check liveness frames: frame ${frames.length + 1} has ${value.size} bytes; ` +
          `each may have at most ${maxFrame}`,
        { details: { limit: maxFrame } },
      );
    }
    frames.push(new Uint8Array(await value.arrayBuffer()));
  }
  let timestamps: unknown;
  try {
    timestamps = JSON.parse(String(form.get("timestamps") ?? ""));
  } catch {
    throw bad("timestamps", "timestamps must be a JSON array of numbers");
  }
  if (!Array.isArray(timestamps) || !timestamps.every((t) => typeof t === "number")) {
    throw bad("timestamps", "timestamps must be a JSON array of numbers");
  }
  const nonce = form.get("nonce");
  if (typeof nonce !== "string" || nonce === "") throw bad("nonce", "the nonce is missing");
  return { frames, timestamps: timestamps as number[], nonce };
}

/** The challenge liveness sub-app. */
export function livenessSessionRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/liveness/sessions",
    operationId: "startLivenessSession",
    access: "match",
    summary: "Start a liveness challenge",
    description: "Opens a session (2 minutes) with a random challenge: a head turn (left or " +
      "right, ≥ 15°) and a blink, in random order. Its frames are embedded with `collection`'s " +
      "recipe (default: the default recipe), so its token matches that collection's faces.",
    tag: "liveness",
    query: [{
      name: "collection",
      in: "query",
      description: "The collection the token will be used with.",
      schema: { type: "string", pattern: NAME_PATTERN },
    }],
    status: 201,
    response: ref("LivenessSessionResponse"),
    problems: ["invalid_request", "model_unavailable"],
  }, async (c) => {
    const collection = c.req.query("collection");
    return c.json(await startLivenessSession(s, collection ? { collection } : {}), 201);
  });
  s.api.route(app, {
    method: "post",
    path: "/v1/liveness/sessions/:session_id/frames",
    operationId: "checkLivenessFrames",
    access: "match",
    limit: "frames",
    summary: "Send a challenge's frames",
    description: "Checks a burst of 4 to 12 timestamped frames against the session's challenge, " +
      "once: one and the same person in every frame, the moves in order (yaw from the " +
      "landmarks, blink from the eye-state model), no copied or static frames, increasing " +
      "timestamps within the session, and the passive score (the lowest over the frames it can " +
      "judge, at least one). Answers 200 either way: `passed: true` with a single-use " +
      "`liveness_token` (60 s) for verify, or `passed: false` with the first failed check.",
    tag: "liveness",
    body: { "multipart/form-data": ref("LivenessFramesMultipart") },
    status: 200,
    response: ref("LivenessFramesResponse"),
    problems: probeProblems("invalid_liveness_session"),
  }, async (c) => {
    const burst = await readBurst(c.req.raw, Math.min(MAX_FRAME_BYTES, s.limits.maxBytes));
    return c.json(
      await checkLivenessFrames(s, { session_id: c.req.param("session_id")!, ...burst }),
    );
  });
  return app;
}
