/**
 * Open-set identify on real faces at the default FPIR target: ~1,000 enrolled dev faces, every
 * probe through `POST …/identify`, strangers never enrolled. The gallery's templates come from the
 * real pipeline (`bench/_embed_dataset.ts`, cached in `bench/.cache`); the probes are the photos.
 * The split is `openSetSplit()` of `bench/_open_set.ts` (the bench's, at 1k to 1M faces).
 */
import assert from "node:assert/strict";
import { defaultRecipe } from "../../models/manifest.ts";
import { openSetSplit } from "../../bench/_open_set.ts";
import { json, makeApp, postImage } from "./_fixtures.ts";

interface Answer {
  match: { subject: string } | null;
  candidates: { subject: string; distance: number }[];
  threshold: number;
  threshold_source: string;
  fpir: { target: number | null; estimated: number; faces: number };
}

Deno.test("identify over ~1,000 enrolled dev faces at the default FPIR target keeps FPIR ≤ 1% on strangers with rank-1 ≥ 95%", async () => {
  const { gallery, mated, strangers } = await openSetSplit();
  assert.ok(gallery.length >= 900 && strangers.length >= 500, `${gallery.length} faces`);
  const { app, store } = makeApp();
  const ref = { model: defaultRecipe().id, collection: "crowd" };
  for (const g of gallery) {
    await store.addFace(ref, g.subject, { embedding: g.embedding, quality: 1 });
  }
  const ask = async (path: string) =>
    await json<Answer>(
      await app.request("/v1/collections/crowd/identify?k=1", postImage(`faces/${path}`)),
    );

  const first = await ask(mated[0].path);
  assert.equal(first.threshold_source, "policy");
  assert.equal(first.fpir.target, 0.01);
  assert.equal(first.fpir.faces, gallery.length);
  assert.ok(first.fpir.estimated <= 0.01);
  const fixed = 1.0622; // the recipe's size-blind identify default (its cap)
  assert.ok(first.threshold < fixed, `derived ${first.threshold}`);

  let rank1 = 0, hits = 0;
  for (const m of mated) {
    const a = await ask(m.path);
    if (a.candidates[0]?.subject === m.subject) rank1++;
    if (a.match?.subject === m.subject) hits++;
  }
  let falsePositives = 0, atFixed = 0, orlFalse = 0;
  for (const s of strangers) {
    const a = await ask(s.path);
    assert.equal(a.threshold, first.threshold);
    if (a.match) falsePositives++;
    if (s.source === "orl-att" && a.match) orlFalse++;
    if ((a.candidates[0]?.distance ?? 2) <= fixed) atFixed++;
  }
  const report = {
    faces: gallery.length,
    threshold: first.threshold,
    fpir_estimated: first.fpir.estimated,
    mated: mated.length,
    rank1: rank1 / mated.length,
    identified_at_threshold: hits / mated.length,
    strangers: strangers.length,
    fpir: falsePositives / strangers.length,
    fpir_orl_strangers: orlFalse,
    fpir_at_fixed_default: atFixed / strangers.length,
  };
  console.log(JSON.stringify(report));
  assert.ok(report.fpir <= 0.01, JSON.stringify(report));
  assert.ok(report.rank1 >= 0.95, JSON.stringify(report));
  assert.ok(report.identified_at_threshold >= 0.9, JSON.stringify(report));
});
