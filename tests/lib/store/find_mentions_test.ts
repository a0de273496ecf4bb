import assert from "node:assert/strict";
import { findMentions, MAX_MENTIONED_SUBJECTS } from "../../../lib/store/mod.ts";

const at = (subject?: string) => ({ collection: "lobby", subject });

Deno.test("findMentions() names the subject and face of an enroll answer", () => {
  const body = JSON.stringify({
    subject: "ann",
    face_id: "i0a1b2",
    quality: { score: 0.9 },
    created_at: "2026-12-01T00:00:00.000Z",
  });
  assert.deepEqual(findMentions(body, at("ann")), {
    collection: "lobby",
    subjects: [{ subject: "ann", faces: ["i0a1b2"] }],
  });
});

Deno.test("findMentions() names every identify candidate with its face, once each", () => {
  const cand = (subject: string, face_id: string) => ({ subject, face_id, distance: 0.5 });
  const body = JSON.stringify({
    id: "msg_1",
    action: "identify",
    result: {
      match: cand("bob", "f2"),
      candidates: [cand("bob", "f2"), cand("cy", "f3"), cand("dee", "f4")],
      threshold: 1.1,
    },
  });
  assert.deepEqual(findMentions(body, at(undefined))?.subjects, [
    { subject: "bob", faces: ["f2"] },
    { subject: "cy", faces: ["f3"] },
    { subject: "dee", faces: ["f4"] },
  ]);
});

Deno.test("findMentions() names the request's subject when a problem answer quotes it", () => {
  const problem = JSON.stringify({
    type: "/docs#problem-low_quality",
    status: 422,
    detail: "Cannot enroll face: blurred",
    instance: "/v1/collections/lobby/subjects/ann/faces",
    code: "low_quality",
  });
  assert.deepEqual(findMentions(problem, at("ann"))?.subjects, [{ subject: "ann", faces: [] }]);
  const notFound = JSON.stringify({
    code: "face_not_found",
    detail: "Cannot find face f9 of subject ann",
    subject: "ann",
    face_id: "f9",
  });
  assert.deepEqual(findMentions(notFound, at("ann"))?.subjects, [{
    subject: "ann",
    faces: ["f9"],
  }]);
  // Not JSON at all: the request's subject, found as text.
  assert.deepEqual(findMentions("ann was refused", at("ann"))?.subjects, [
    { subject: "ann", faces: [] },
  ]);
});

Deno.test("findMentions() names nobody for answers that quote no subject", () => {
  assert.equal(findMentions("", at("ann")), undefined, "a 204 of a delete");
  assert.equal(
    findMentions(JSON.stringify({ collection: "lobby", deleted_faces: 6 }), at(undefined)),
    undefined,
  );
  assert.equal(
    findMentions(JSON.stringify({ verify: { threshold: 1 } }), at(undefined)),
    undefined,
  );
});

Deno.test("findMentions() skips invalid names and a missing or invalid collection", () => {
  const body = JSON.stringify({ subject: "a b", face_id: "f1" });
  assert.equal(findMentions(body, at(undefined)), undefined);
  const ok = JSON.stringify({ subject: "ann", face_id: "f:1" });
  assert.deepEqual(findMentions(ok, at(undefined))?.subjects, [{ subject: "ann", faces: [] }]);
  assert.equal(findMentions(ok, { subject: "ann" }), undefined);
  assert.equal(findMentions(ok, { collection: "a/b", subject: "ann" }), undefined);
  // A face id beside no subject belongs to the request's subject.
  const face = JSON.stringify({ ann: true, face: { face_id: "f7" } });
  assert.deepEqual(findMentions(face, at("ann"))?.subjects, [{ subject: "ann", faces: ["f7"] }]);
});

Deno.test(`findMentions() keeps at most ${MAX_MENTIONED_SUBJECTS} subjects`, () => {
  const body = (n: number) =>
    JSON.stringify(Array.from({ length: n }, (_, i) => ({ subject: `s${i}`, face_id: `f${i}` })));
  for (const n of [MAX_MENTIONED_SUBJECTS - 1, MAX_MENTIONED_SUBJECTS]) {
    assert.equal(findMentions(body(n), at(undefined))?.subjects.length, n);
  }
  const over = findMentions(body(MAX_MENTIONED_SUBJECTS + 1), at(undefined))!;
  assert.equal(over.subjects.length, MAX_MENTIONED_SUBJECTS);
});
