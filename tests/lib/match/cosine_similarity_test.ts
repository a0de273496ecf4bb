import assert from "node:assert/strict";
import { cosineSimilarity } from "../../../lib/match/mod.ts";

Deno.test("cosineSimilarity() is 1 for parallel, 0 for orthogonal and -1 for opposite vectors", () => {
  assert.equal(cosineSimilarity([2, 0], [5, 0]), 1);
  assert.equal(cosineSimilarity([1, 0], [0, 3]), 0);
  assert.equal(cosineSimilarity([3, 4], [-3, -4]), -1);
});

Deno.test("cosineSimilarity() ignores the vectors' lengths", () => {
  assert.equal(cosineSimilarity([1, 1], [1, 0]), cosineSimilarity([10, 10], [0.5, 0]));
  assert.ok(Math.abs(cosineSimilarity([1, 1], [1, 0]) - Math.SQRT1_2) < 1e-15);
});

Deno.test("cosineSimilarity() stays within [-1, 1] despite rounding", () => {
  const v = Array.from({ length: 512 }, (_, i) => Math.sin(i) * 0.1);
  const c = cosineSimilarity(v, v);
  assert.ok(c <= 1 && c > 1 - 1e-12);
});

Deno.test("cosineSimilarity() throws RangeError for a zero or empty vector", () => {
  assert.throws(() => cosineSimilarity([0, 0], [1, 0]), {
    name: "RangeError",
    message: "Cannot compute cosine similarity: a vector has zero length",
  });
  assert.throws(() => cosineSimilarity([], []), RangeError);
});

Deno.test("cosineSimilarity() throws RangeError when the dimensions differ", () => {
  assert.throws(() => cosineSimilarity([1, 0], [1, 0, 0]), RangeError);
});
