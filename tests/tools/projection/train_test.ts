import assert from "node:assert/strict";
import { forward, pcaBasis, trainProjection } from "../../../tools/projection/train.ts";
import { prng as rng } from "../../../bench/_synthetic_gallery.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { parseProjection } from "../../../lib/embed/mod.ts";

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

Deno.test("pcaBasis() finds the subspace unit vectors live in, largest direction first", () => {
  const random = rng(3);
  // 8-d vectors spread mostly along e0, then e1, nothing else.
  const xs = Array.from({ length: 200 }, () => {
    const v = new Float32Array(8);
    v[0] = 3 * (random() - 0.5);
    v[1] = random() - 0.5;
    return unit(v);
  });
  const b = pcaBasis(xs, 2);
  assert.ok(Math.abs(Math.abs(b[0]) - 1) < 1e-4, `first row ${b.slice(0, 8)}`);
  assert.ok(Math.abs(Math.abs(b[8 + 1]) - 1) < 1e-4, `second row ${b.slice(8, 16)}`);
});

Deno.test("trainProjection() lowers the triplet loss of identities a random map mixes up", () => {
  const random = rng(5);
  const d = 16, out = 4;
  // 12 identities, each a tight cluster; the identity sits in the last 8 coordinates, the first 8
  // are large noise shared by everyone, which a map must learn to ignore.
  const people = Array.from({ length: 12 }, () => {
    const centre = Array.from({ length: 8 }, () => random() - 0.5);
    return Array.from(
      { length: 4 },
      () =>
        unit(
          Float32Array.from({ length: d }, (_, j) =>
            j < 8 ? 2 * (random() - 0.5) : centre[j - 8] + 0.02 * (random() - 0.5)),
        ),
    );
  });
  const init = Float64Array.from({ length: out * d }, () => random() - 0.5);
  const spread = (w: Float64Array) => {
    // mean same-person distance / mean other-person distance
    let same = 0, other = 0, ns = 0, no = 0;
    const f = people.map((xs) => xs.map((x) => forward(w, out, x).f));
    for (let i = 0; i < f.length; i++) {
      for (let j = 0; j < f.length; j++) {
        for (const a of f[i]) {
          for (const b of f[j]) {
            const dd = Math.hypot(...a.map((v, k) => v - b[k]));
            if (i === j) [same, ns] = [same + dd, ns + 1];
            else [other, no] = [other + dd, no + 1];
          }
        }
      }
    }
    return (same / ns) / (other / no);
  };
  const before = spread(init);
  const { weights } = trainProjection(people, init, {
    output: out,
    steps: 400,
    identities: 8,
    perIdentity: 3,
    learningRate: 1e-2,
  });
  const after = spread(weights);
  assert.ok(after < before / 2, `same/other distance ratio ${before} → ${after}`);
});

Deno.test("the committed v3 projection file is the one the manifest names (sha256, shape)", async () => {
  const p = MODEL_MANIFEST.recipes!.entries.find((r) => r.projection)!.projection!;
  const bytes = await Deno.readFile(new URL(`../../../models/${p.file}`, import.meta.url));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  assert.equal(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""), p.sha256);
  const map = parseProjection(bytes, p.input, p.output);
  assert.equal(map.weights.length, 128 * 512);
});
