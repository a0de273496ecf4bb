/**
 * The passive liveness model on the dev PAD set (`shared/data/pad/`, the set its threshold was
 * calibrated on), through the product's own pipeline, crop, threshold and non-response rule.
 *
 * @module
 */
import assert from "node:assert/strict";
import { scorePad, summarisePad } from "../../../bench/_pad.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { sessions } from "../../_data.ts";

const rows = await scorePad(sessions);
const threshold = MODEL_MANIFEST.liveness!.threshold;
const report = summarisePad(rows, threshold);

Deno.test("the PAD set is read whole: every manifest row is scored or counted", () => {
  assert.equal(rows.length, 451);
  assert.ok(rows.filter((r) => r.status === "judged").length >= 380);
});

Deno.test("at the shipped threshold no dev print, replay or recapture attack is judged live", () => {
  const g = report.groups;
  assert.equal(g.print_photo.judged_error.errors, 0, JSON.stringify(g.print_photo));
  assert.ok(g.print_photo.judged_error.n >= 70);
  assert.equal(g.recapture_unspecified.judged_error.errors, 0);
  assert.ok(g.recapture_unspecified.judged_error.n >= 100);
  assert.equal(g.replay_screen.judged_error.errors, 0);
  assert.equal(report.apcer_print_replay_recapture.rate, 0);
});

Deno.test("at the shipped threshold webcam bona fide stills pass (BPCER <= 5%) and web photos mostly do (<= 10%)", () => {
  const { webcam, web_photo } = report.groups;
  assert.ok(webcam.judged_error.n >= 70);
  assert.ok(webcam.judged_error.rate <= 0.05, JSON.stringify(webcam));
  assert.ok(web_photo.judged_error.n >= 130);
  assert.ok(web_photo.judged_error.rate <= 0.10, JSON.stringify(web_photo));
});

Deno.test("a face the model cannot judge gets a non-response, never a score", () => {
  const unjudged = rows.filter((r) => r.status === "insufficient_context");
  assert.ok(unjudged.length > 0);
  for (const r of unjudged) {
    assert.equal(r.score, undefined);
    assert.ok(r.context! < MODEL_MANIFEST.liveness!.crop.min_context, r.path);
  }
  for (const r of rows.filter((r) => r.status === "judged")) {
    assert.ok(r.context! >= MODEL_MANIFEST.liveness!.crop.min_context, r.path);
  }
});

Deno.test("the channel order matters: the same crops in RGB order reject many bona fide stills", async () => {
  // Guards the manifest's BGR: with RGB the model's bona fide scores collapse on webcam stills.
  const rgb = structuredClone(MODEL_MANIFEST);
  rgb.liveness!.input.channels = "RGB";
  rgb.liveness!.id += "+rgb-probe";
  const { analyzeImage } = await import("../../../lib/pipeline/mod.ts");
  const webcam = rows.filter((r) => r.group === "webcam" && r.status === "judged").slice(0, 30);
  let rejected = 0;
  for (const r of webcam) {
    const bytes = await Deno.readFile(
      `${Deno.env.get("FACEGATE_DATA") ?? "../shared/data"}/pad/${r.path}`,
    );
    const a = await analyzeImage({ sessions, manifest: rgb }, bytes, {
      select: "largest",
      embed: false,
      liveness: true,
    });
    if (a.faces[0].liveness!.score < threshold) rejected++;
  }
  assert.ok(rejected >= 10, `RGB order rejected only ${rejected} of ${webcam.length}`);
});
