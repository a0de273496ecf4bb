import assert from "node:assert/strict";
import { dequantizeInt8, quantizeInt8 } from "../../../lib/match/mod.ts";
import { randomUnitVectors, seededRandom } from "./_random.ts";

Deno.test("quantizeInt8() maps the largest magnitude to ±127 and rounds the rest", () => {
  assert.deepEqual(quantizeInt8([0.5, -1, 0.25, 0]), {
    data: new Int8Array([64, -127, 32, 0]),
    scale: 1 / 127,
  });
  assert.deepEqual(quantizeInt8(new Float32Array([2])), {
    data: new Int8Array([127]),
    scale: 2 / 127,
  });
});

Deno.test("quantizeInt8() round-trips every component within half a step", () => {
  const random = seededRandom(13);
  const vectors = randomUnitVectors(50, 512, random);
  for (let i = 0; i < 50; i++) {
    const v = vectors.subarray(i * 512, (i + 1) * 512);
    const q = quantizeInt8(v);
    const back = dequantizeInt8(q);
    let max = 0;
    for (let j = 0; j < 512; j++) max = Math.max(max, Math.abs(v[j]));
    assert.equal(q.scale, max / 127);
    for (let j = 0; j < 512; j++) {
      assert.ok(Math.abs(back[j] - v[j]) <= q.scale / 2 + 1e-7);
      assert.ok(q.data[j] >= -127 && q.data[j] <= 127);
    }
  }
});

Deno.test("quantizeInt8() gives scale 0 and zeros for a zero or empty vector", () => {
  assert.deepEqual(quantizeInt8([0, 0]), { data: new Int8Array(2), scale: 0 });
  assert.deepEqual(quantizeInt8([]), { data: new Int8Array(0), scale: 0 });
  assert.deepEqual(dequantizeInt8({ data: new Int8Array(2), scale: 0 }), new Float32Array(2));
});

Deno.test("quantizeInt8() throws RangeError for a non-finite component", () => {
  assert.throws(() => quantizeInt8([1, NaN]), {
    name: "RangeError",
    message: "Cannot quantize vector: component 1 is NaN",
  });
  assert.throws(() => quantizeInt8([-Infinity]), RangeError);
});

Deno.test("dequantizeInt8() multiplies each component by the scale", () => {
  assert.deepEqual(
    dequantizeInt8({ data: new Int8Array([127, -64, 0]), scale: 0.5 }),
    new Float32Array([63.5, -32, 0]),
  );
});

Deno.test("dequantizeInt8() throws RangeError for a negative or non-finite scale", () => {
  assert.throws(() => dequantizeInt8({ data: new Int8Array(1), scale: -1 }), RangeError);
  assert.throws(() => dequantizeInt8({ data: new Int8Array(1), scale: NaN }), RangeError);
});
