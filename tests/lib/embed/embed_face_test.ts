import assert from "node:assert/strict";
import { applyAffine } from "../../../lib/align/affine.ts";
import type { Point } from "../../../lib/align/estimate_similarity.ts";
import { ALIGNED_SIZE, alignedTensor, alignmentTransform } from "../../../lib/align/mod.ts";
import { embedFace } from "../../../lib/embed/embed_face.ts";
import type { OrtSession } from "../../../lib/onnx/session_cache.ts";
import type { Raster } from "../../../lib/image/raster.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { sessions } from "../../_data.ts";

const TEMPLATE = MODEL_MANIFEST.embedder.template as Point[];
const PLANE = ALIGNED_SIZE * ALIGNED_SIZE;

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

Deno.test("alignmentTransform() is the identity for landmarks already on the template", () => {
  assert.ok(alignmentTransform(TEMPLATE, TEMPLATE).every((v, i) => v === [1, 0, 0, 0, 1, 0][i]));
});

Deno.test("alignmentTransform() maps a scaled, shifted face onto the template", () => {
  const five: Point[] = TEMPLATE.map(([x, y]) => [3 * x + 200, 3 * y + 80]);
  const m = alignmentTransform(five, TEMPLATE);
  five.forEach(([x, y], i) => {
    const [u, v] = applyAffine(m, x, y);
    assert.ok(Math.abs(u - TEMPLATE[i][0]) < 1e-9 && Math.abs(v - TEMPLATE[i][1]) < 1e-9);
  });
});

Deno.test("alignedTensor() is a 3×112×112 BGR tensor normalised (x − 127.5) / 128", () => {
  const size = ALIGNED_SIZE;
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set([255, 191, 0, 255], i * 4);
  const raster: Raster = { width: size, height: size, data };
  const t = alignedTensor(raster, [1, 0, 0, 0, 1, 0]);
  assert.equal(t.length, 3 * PLANE);
  assert.equal(t[0], (0 - 127.5) / 128); // blue plane first
  assert.equal(t[PLANE], (191 - 127.5) / 128);
  assert.equal(t[2 * PLANE], (255 - 127.5) / 128);
  const rgb = alignedTensor(raster, [1, 0, 0, 0, 1, 0], { channels: "rgb" });
  assert.equal(rgb[0], (255 - 127.5) / 128);
});

/** An embedder returning `f(input)` as its raw output; records its inputs. */
function scripted(f: (input: Float32Array) => number[]) {
  const inputs: { data: Float32Array; dims: readonly number[] }[] = [];
  const session = {
    run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) {
      inputs.push(feeds.input);
      return Promise.resolve({ output: { data: new Float32Array(f(feeds.input.data)) } });
    },
  };
  return { session: session as unknown as OrtSession, inputs };
}

Deno.test("embedFace() without flip normalises the network output to unit length", async () => {
  const { session, inputs } = scripted(() => [3, 0, 4]);
  const v = await embedFace(session, new Float32Array(3 * PLANE), { flip: false });
  assert.equal(inputs.length, 1);
  assert.deepEqual(inputs[0].dims, [1, 3, 112, 112]);
  assert.deepEqual(Array.from(v), [0.6000000238418579, 0, 0.800000011920929]);
});

Deno.test("embedFace() leaves a zero output at zero instead of dividing by zero", async () => {
  const { session } = scripted(() => [0, 0, 0]);
  assert.deepEqual(
    Array.from(await embedFace(session, new Float32Array(3 * PLANE), { flip: false })),
    [0, 0, 0],
  );
});

Deno.test("embedFace() with flip averages the normalised embeddings of the face and its mirror", async () => {
  // The fake network reports the first pixel of each plane's first row: mirroring moves x=111 there.
  const { session, inputs } = scripted((x) => [x[0], x[PLANE], x[2 * PLANE]]);
  const aligned = new Float32Array(3 * PLANE);
  aligned.set([1, 0, 0], 0); // plane 0, x = 0
  aligned[PLANE + ALIGNED_SIZE - 1] = 1; // plane 1, x = 111
  const v = await embedFace(session, aligned);
  assert.equal(inputs.length, 2);
  assert.equal(inputs[1].data[ALIGNED_SIZE - 1], 1, "the mirror moves x=0 to x=111");
  assert.equal(inputs[1].data[PLANE], 1, "and x=111 to x=0");
  // normalize([1,0,0] + [0,1,0]) = [√½, √½, 0]
  assert.ok(
    Math.abs(v[0] - Math.SQRT1_2) < 1e-6 && Math.abs(v[1] - Math.SQRT1_2) < 1e-6 && v[2] === 0,
  );
});

Deno.test("embedFace() returns a 512-d unit vector from the real network, with and without flip", async () => {
  const embedder = await sessions.get(MODEL_MANIFEST.embedder);
  // A smooth synthetic pattern stands in for a face: the point is the output contract.
  const aligned = new Float32Array(3 * PLANE).map((_, i) => Math.sin(i / 97) * 0.8);
  const flipped = await embedFace(embedder, aligned);
  const plain = await embedFace(embedder, aligned, { flip: false });
  assert.equal(flipped.length, MODEL_MANIFEST.embedder.dim);
  assert.equal(plain.length, 512);
  assert.ok(Math.abs(norm(flipped) - 1) < 1e-5 && Math.abs(norm(plain) - 1) < 1e-5);
  assert.ok(flipped.every(Number.isFinite));
});
