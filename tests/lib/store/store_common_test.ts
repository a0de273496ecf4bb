import assert from "node:assert/strict";
import { isFaceError } from "../../../lib/errors.ts";
import {
  decodeCursor,
  encodeCursor,
  newFaceId,
  packGallery,
} from "../../../lib/store/_store_common.ts";

Deno.test("encodeCursor() and decodeCursor() round trip any valid subject", () => {
  for (const s of ["a", "a.b@c-d_e", "x".repeat(128)]) {
    const c = encodeCursor(s);
    assert.match(c, /^[A-Za-z0-9_-]+$/);
    assert.equal(decodeCursor(c), s);
  }
  assert.equal(decodeCursor(undefined), undefined);
  for (const bad of ["", "!!", btoa("x:abc"), btoa("s:bad name")]) {
    assert.throws(() => decodeCursor(bad), (e) => isFaceError(e, "invalid_request"));
  }
});

Deno.test("newFaceId() is unique and sorts by creation within a process", () => {
  const ids = Array.from({ length: 2000 }, () => newFaceId());
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  for (const id of ids.slice(0, 5)) assert.match(id, /^[a-z0-9]{21}$/);
});

Deno.test("packGallery() orders rows by subject then face id and rejects mixed dimensions", () => {
  const g = packGallery([
    { subject: "b", faceId: "2", embedding: new Float32Array([1, 2]) },
    { subject: "a", faceId: "9", embedding: new Float32Array([3, 4]) },
    { subject: "b", faceId: "1", embedding: new Float32Array([5, 6]) },
  ]);
  assert.equal(g.dim, 2);
  assert.deepEqual(g.subjects, ["a", "b"]);
  assert.deepEqual([...g.subjectIndex], [0, 1, 1]);
  assert.deepEqual(g.faceIds, ["9", "1", "2"]);
  assert.deepEqual([...g.vectors], [3, 4, 5, 6, 1, 2]);
  assert.throws(
    () =>
      packGallery([
        { subject: "a", faceId: "1", embedding: new Float32Array(2) },
        { subject: "a", faceId: "2", embedding: new Float32Array(3) },
      ]),
    (e) => isFaceError(e, "model_mismatch"),
  );
  assert.equal(packGallery([]).dim, 0);
});
