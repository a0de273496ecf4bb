import assert from "node:assert/strict";
import { analyzeImage } from "../../../lib/pipeline/mod.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { readData, sessions } from "../../_data.ts";

async function eyes(relative: string): Promise<number> {
  const a = await analyzeImage({ sessions }, await readData(relative), {
    select: "largest",
    eyes: true,
    embed: false,
  });
  const e = a.faces[0].eyes!;
  return (e.left + e.right) / 2;
}

Deno.test("the eye-state model's open class reads open eyes as open and shut eyes as shut", async () => {
  const { open, closed } = MODEL_MANIFEST.eye!.thresholds;
  assert.ok((await eyes("faces-misc/quality_insightface_close_eyes.jpeg")) <= closed);
  assert.ok((await eyes("pad/nuaa/bona_fide/0005_00_00_02_123.jpg")) <= closed, "mid-blink");
  for (
    const open_ of [
      "faces/Serena_Williams/Serena_Williams_0001.jpg",
      "faces/Arnold_Schwarzenegger/Arnold_Schwarzenegger_0003.jpg",
      "pad/nuaa/bona_fide/0005_00_00_02_197.jpg",
    ]
  ) assert.ok((await eyes(open_)) >= open, open_);
});
