import assert from "node:assert/strict";
import {
  buildImpostorFarCurve,
  estimateFpir,
  impostorFar,
  impostorFarThreshold,
  openSetThreshold,
} from "../../../lib/match/mod.ts";
import { MODEL_MANIFEST, recipeManifest } from "../../../models/manifest.ts";

Deno.test("buildImpostorFarCurve() keeps the FAR levels with at least 5 pairs below, halfway between pairs", () => {
  // 1,000 distances 0.001 … 1.000: FAR(t) = t exactly on the grid.
  const d = Array.from({ length: 1000 }, (_, i) => (i + 1) / 1000);
  const c = buildImpostorFarCurve(d.toReversed());
  assert.equal(c.impostor_pairs, 1000);
  // Levels 0.3 … 1e-2 have ≥ 5 pairs; 3e-3 has 3 (dropped).
  assert.deepEqual(c.points, [[0.0105, 0.01], [0.0305, 0.03], [0.1005, 0.1], [0.3005, 0.3]]);
  assert.ok(c.tail_decades_per_unit > 0);
  assert.throws(() => buildImpostorFarCurve(d.slice(0, 99)), RangeError);
});

Deno.test("impostorFar() and impostorFarThreshold() are inverses, monotone, along the tail too", () => {
  const c = recipeManifest(MODEL_MANIFEST, "fr_feature@faceplugin-0.0.1+noflip").embedder
    .thresholds.impostor_far!;
  let last = 0;
  for (let t = 0.5; t <= 1.4; t += 0.01) {
    const f = impostorFar(c, t);
    assert.ok(f >= last, `monotone at ${t}`);
    last = f;
    if (t < c.points.at(-1)![0]) assert.ok(Math.abs(impostorFarThreshold(c, f) - t) < 1e-9);
  }
  // The measured points are reproduced exactly.
  for (const [t, f] of c.points) assert.ok(Math.abs(impostorFar(c, t) - f) / f < 1e-9);
});

Deno.test("openSetThreshold() tightens as the gallery grows and keeps faces × FAR at the target", () => {
  const v2 = recipeManifest(MODEL_MANIFEST, "fr_feature@faceplugin-0.0.1+noflip").embedder
    .thresholds;
  const c = v2.impostor_far!;
  const cap = v2.identify!;
  let previous = Infinity;
  for (const faces of [1, 1e3, 1e4, 1e5, 1e6]) {
    const t = openSetThreshold(c, { faces, fpir: 0.01, cap });
    assert.ok(t.threshold <= cap && t.threshold < previous || faces === 1);
    assert.ok(t.fpir <= 0.01 + 1e-12, `${faces}: ${t.fpir}`);
    previous = t.threshold;
  }
  assert.equal(openSetThreshold(c, { faces: 1, fpir: 0.01, cap }).threshold, cap);
  // At 1,000 faces: the per-pair FAR is 1e-5, inside the measured curve (≥ 9.46e-6).
  const k = openSetThreshold(c, { faces: 1000, fpir: 0.01, cap });
  assert.ok(Math.abs(k.pairFar - 1e-5) < 1e-12);
  assert.ok(Math.abs(estimateFpir(c, { faces: 1000, threshold: k.threshold }).fpir - 0.01) < 1e-9);
  assert.throws(() => openSetThreshold(c, { faces: 10, fpir: 0, cap }), RangeError);
});
