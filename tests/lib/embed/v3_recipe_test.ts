/**
 * The v3 recipe (128-d) through the real pipeline: its template is exactly the v2 embedding through
 * the committed projection, and it keeps people apart on real photos.
 *
 * @module
 */
import assert from "node:assert/strict";
import { analyzeImage } from "../../../lib/pipeline/mod.ts";
import { loadProjection, projectEmbedding } from "../../../lib/embed/mod.ts";
import { embedderRecipes, MODEL_MANIFEST, recipeManifest } from "../../../models/manifest.ts";
import { l2Distance } from "../../../lib/match/mod.ts";
import { readData, sessions } from "../../_data.ts";

const v3 = embedderRecipes().find((r) => r.projection)!;
const v2 = embedderRecipes().find((r) => !r.flip && !r.projection)!;
const m3 = recipeManifest(MODEL_MANIFEST, v3.id);
const m2 = recipeManifest(MODEL_MANIFEST, v2.id);
const embed = async (manifest: typeof m3, photo: string) =>
  (await analyzeImage({ sessions, manifest }, await readData(photo), {
    select: "largest",
    requireFace: true,
  })).faces[0].embedding!;

Deno.test("v3 makes unit 128-d templates equal to v2's embedding through the projection", async () => {
  assert.equal(m3.embedder.dim, 128);
  const photo = "faces/Serena_Williams/Serena_Williams_0001.jpg";
  const [e3, e2] = [await embed(m3, photo), await embed(m2, photo)];
  assert.equal(e3.length, 128);
  assert.ok(Math.abs(Math.hypot(...e3) - 1) < 1e-5);
  const p = v3.projection!;
  const map = await loadProjection(sessions, p);
  const converted = projectEmbedding(e2, map);
  for (let i = 0; i < 128; i++) assert.ok(Math.abs(converted[i] - e3[i]) < 1e-6);
});

Deno.test("v3 keeps the same person within its verify threshold and strangers beyond it", async () => {
  const t = v3.thresholds!.verify!;
  const a = await embed(m3, "faces/Serena_Williams/Serena_Williams_0001.jpg");
  const b = await embed(m3, "faces/Serena_Williams/Serena_Williams_0002.jpg");
  const c = await embed(m3, "faces/Hamid_Karzai/Hamid_Karzai_0001.jpg");
  const d = await embed(m3, "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0003.jpg");
  assert.ok(l2Distance(a, b) < t, `same person ${l2Distance(a, b)} >= ${t}`);
  assert.ok(l2Distance(a, c) > t && l2Distance(a, d) > t && l2Distance(c, d) > t);
});
