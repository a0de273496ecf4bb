/**
 * `POST /v1/collections/{collection}/subjects/{subject}/faces`: enrolls one face.
 *
 * The quality gate (`qualityFailures`) always applies: there is deliberately no `force` flag, since
 * a blurred, tiny or turned face raises false matches for every later probe, and a client-settable
 * override would defeat the gate (an operator override belongs behind an admin permission once
 * authentication exists). Images with several faces are refused unless `face=largest`, `center` or
 * `primary` picks one explicitly.
 *
 * @module
 */
import { Hono } from "hono";
import { FaceError } from "../lib/errors.ts";
import { qualityFailures } from "../lib/pipeline/mod.ts";
import { validateName } from "../lib/store/mod.ts";
import type { AppEnv, Services } from "./_context.ts";
import { OPTION_PARAMS, readImageRequest } from "./_request_options.ts";
import { IMAGE_BODY, ref } from "./_schemas.ts";
import { embedProbe, probeProblems, rotationField } from "./_analyze.ts";

const FACES = ["single", "largest", "center", "primary"] as const;

/** The enrolment sub-app. */
export function enrollRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  s.api.route(app, {
    method: "post",
    path: "/v1/collections/:collection/subjects/:subject/faces",
    operationId: "enrollFace",
    summary: "Enroll a face",
    description: "Adds the face of an image to a subject (created on first use). Refuses faces " +
      "failing the quality gate (`low_quality`, with `reasons`) and images with several faces " +
      "unless `face=largest|center|primary`. Optional `metadata` (a JSON object, at most 8 KiB) in " +
      "JSON or multipart bodies.",
    tag: "collections",
    query: [OPTION_PARAMS.face(FACES, "single")],
    body: IMAGE_BODY,
    status: 201,
    response: ref("EnrollResponse"),
    problems: probeProblems("low_quality", "conflict"),
  }, async (c) => {
    const collection = validateName("collection", c.req.param("collection")!);
    const subject = validateName("subject", c.req.param("subject")!);
    const { images, fields, options } = await readImageRequest(c.req, ["image"], {
      faces: FACES,
    });
    const face = await embedProbe(s, images.image, options.face ?? "single");
    const reasons = qualityFailures(face.quality);
    if (reasons.length > 0) {
      throw new FaceError("low_quality", `Cannot enroll face: ${reasons.join("; ")}`, {
        details: { reasons, quality: face.quality },
      });
    }
    const metadata = fields.metadata;
    if (
      metadata !== undefined && (metadata === null || typeof metadata !== "object" ||
        Array.isArray(metadata))
    ) {
      throw new FaceError("invalid_request", "Cannot enroll face: metadata must be a JSON object", {
        details: { field: "metadata" },
      });
    }
    const record = await s.store.addFace({ model: s.model, collection }, subject, {
      embedding: face.embedding,
      quality: face.quality.score,
      metadata: metadata as Record<string, unknown> | undefined,
    });
    c.header(
      "Location",
      `/v1/collections/${encodeURIComponent(collection)}/subjects/${encodeURIComponent(subject)}`,
    );
    return c.json(
      {
        subject,
        face_id: record.id,
        quality: face.quality,
        ...rotationField(face),
        created_at: record.created_at,
      },
      201,
    );
  });
  return app;
}
