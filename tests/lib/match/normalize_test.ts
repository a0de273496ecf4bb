import assert from "node:assert/strict";
import { normalize } from "../../../lib/match/mod.ts";

Deno.test("normalize() scales a 3-4-5 vector to (0.6, 0.8)", () => {
  assert.deepEqual(normalize([3, 4]), new Float32Array([0.6, 0.8]));
});

Deno.test("normalize() returns a new unit Float32Array and leaves its input alone", () => {
  const v = new Float32Array([1, -2, 3, -4, 5]);
  const copy = v.slice();
  const u = normalize(v);
  assert.ok(u instanceof Float32Array);
  assert.notEqual(u, v);
  assert.deepEqual(v, copy);
  const norm = Math.sqrt(u.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-6);
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(u[i] * norm - v[i] / Math.sqrt(55)) < 1e-6);
});

Deno.test("normalize() keeps an already-unit vector unchanged", () => {
  assert.deepEqual(normalize([0, 1, 0]), new Float32Array([0, 1, 0]));
});

Deno.test("normalize() throws RangeError for a zero, empty or non-finite vector", () => {
  assert.throws(() => normalize([0, 0, 0]), {
    name: "RangeError",
    message: "Cannot normalize vector: its norm is zero",
  });
  assert.throws(() => normalize([]), RangeError);
  assert.throws(() => normalize([1, NaN]), RangeError);
  assert.throws(() => normalize([1, Infinity]), RangeError);
});
