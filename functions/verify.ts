/**
 * `POST /v1/collections/{collection}/subjects/{subject}/verify`: is this the claimed subject (1:1)?
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { scoreSubject } from "../lib/match/mod.ts";
import { validateName } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { chooseThreshold, OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import {
  assertCollectionExists,
  embedProbe,
  matchDecision,
  probeProblems,
  rotationField,
} from "./_analyze.ts";

const FACES = ["largest", "center", "primary", "single"] as const;

/** The verify sub-app. */
export function verifyRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/subjects/:subject/verify",
    operationId: "verifySubject",
    summary: "Verify a claimed identity",
    description: "Scores the probe face against the subject's faces (configured match strategy) " +
      "and decides at the verify threshold, or `threshold` / `far`.",
    tag: "match",
    query: [OPTION_PARAMS.face(FACES, "largest"), OPTION_PARAMS.threshold, OPTION_PARAMS.far],
    body: IMAGE_BODY,
    status: 200,
    response: ref("VerifyResponse"),
    problems: probeProblems("subject_not_found", "collection_not_found"),
  }, async (c) => {
    const collection = validateName("collection", c.req.param("collection")!);
    const subject = validateName("subject", c.req.param("subject")!);
    const { images, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
      threshold: true,
    });
    const threshold = chooseThreshold(options, s.thresholds, "verify");
    const record = await s.store.getSubject({ model: s.model, collection }, subject);
    if (!record || record.faces.length === 0) {
      await assertCollectionExists(s, collection);
      throw new FaceError(
        "subject_not_found",
        `Cannot verify: subject ${subject} is not enrolled`,
        {
          details: { subject },
        },
      );
    }
    const probe = await embedProbe(s, images.image, options.face ?? "largest");
    const faces = record.faces.map((f) => f.embedding);
    const { distance, faceIndex } = scoreSubject(faces, probe.embedding, s.config.matchStrategy);
    return c.json({
      subject,
      ...matchDecision(distance, threshold),
      face_id: record.faces[faceIndex].id,
      ...rotationField(probe),
      model: s.model,
    });
  });
  return app;
}
