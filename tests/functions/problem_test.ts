import assert from "node:assert/strict";
import { FaceError, type FaceErrorCode } from "../../lib/errors.ts";
import { problemBody, problemResponse, PROBLEMS } from "../../functions/problem.ts";

Deno.test("PROBLEMS maps every FaceError code to an error status and a title", () => {
  const expected: Record<FaceErrorCode, number> = {
    invalid_image: 400,
    invalid_request: 400,
    unauthorized: 401,
    forbidden: 403,
    policy_violation: 403,
    not_found: 404,
    subject_not_found: 404,
    collection_not_found: 404,
    face_not_found: 404,
    request_timeout: 408,
    conflict: 409,
    model_mismatch: 409,
    payload_too_large: 413,
    image_too_large: 413,
    unsupported_media_type: 415,
    no_face: 422,
    multiple_faces: 422,
    low_quality: 422,
    insufficient_context: 422,
    not_live: 422,
    liveness_required: 403,
    invalid_liveness_token: 403,
    invalid_liveness_session: 403,
    unsupported_event: 422,
    url_not_allowed: 422,
    rate_limited: 429,
    client_closed_request: 499,
    upstream_failed: 502,
    model_unavailable: 503,
    store_unavailable: 503,
    overloaded: 503,
    method_not_allowed: 405,
    store_key_unavailable: 500,
  };
  assert.deepEqual(
    Object.fromEntries(Object.entries(PROBLEMS).map(([code, p]) => [code, p.status])),
    expected,
  );
  for (const p of Object.values(PROBLEMS)) assert.ok(p.title.length > 0);
});

Deno.test("problemResponse() builds an RFC 9457 body with code, request id and details", async () => {
  const err = new FaceError("low_quality", "Cannot enroll face: blurred", {
    details: { reasons: ["blurred"] },
  });
  const res = problemResponse(err, "req-1", { instance: "/v1/x", headers: { "retry-after": "1" } });
  assert.equal(res.status, 422);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.equal(res.headers.get("x-request-id"), "req-1");
  assert.equal(res.headers.get("retry-after"), "1");
  assert.deepEqual(await res.json(), {
    type: "/docs#problem-low_quality",
    title: "Face quality too low",
    status: 422,
    detail: "Cannot enroll face: blurred",
    instance: "/v1/x",
    code: "low_quality",
    request_id: "req-1",
    reasons: ["blurred"],
  });
});

Deno.test("problemBody() never lets details override the standard members", () => {
  const err = new FaceError("no_face", "none", { details: { status: 200, code: "x", extra: 1 } });
  const body = problemBody(err, "r");
  assert.equal(body.status, 422);
  assert.equal(body.code, "no_face");
  assert.equal(body.extra, 1);
  assert.equal("instance" in body, false);
});

Deno.test("problemResponse() turns unknown errors into a generic 500 that hides the cause", async () => {
  const res = problemResponse(new Error("db password is hunter2"), "req-2");
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes("hunter2"));
  const body = JSON.parse(text);
  assert.equal(body.code, "internal_error");
  assert.equal(body.request_id, "req-2");
});
