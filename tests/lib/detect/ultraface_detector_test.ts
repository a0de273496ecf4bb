import assert from "node:assert/strict";
import { type Box, detectFaces, iou, planWindows } from "../../../lib/detect/mod.ts";
import type { OrtSession } from "../../../lib/onnx/session_cache.ts";
import { decodeImage, type Raster } from "../../../lib/image/mod.ts";
import { MODEL_MANIFEST } from "../../../models/manifest.ts";
import { dataDir, readData, sessions } from "../../_data.ts";

// -- planWindows ----------------------------------------------------------------------------------

Deno.test("planWindows() gives one window for an image of the detector's own size", () => {
  assert.deepEqual(planWindows(320, 240, 12), [{ x: 0, y: 0, scale: 1, tile: false }]);
});

Deno.test("planWindows() letterboxes the whole image in the first window", () => {
  for (const [w, h] of [[640, 360], [360, 640], [1, 1], [5000, 100]]) {
    const [win] = planWindows(w, h, 12);
    assert.equal(win.tile, false);
    const ww = 320 * win.scale, wh = 240 * win.scale;
    // The 4:3 window contains the image and is centred on it; one side fits exactly.
    assert.ok(win.x <= 0 && win.y <= 0 && win.x + ww >= w - 1e-9 && win.y + wh >= h - 1e-9);
    assert.ok(Math.abs(win.x + ww / 2 - w / 2) < 1e-9 && Math.abs(win.y + wh / 2 - h / 2) < 1e-9);
    assert.ok(Math.abs(ww - w) < 1e-9 || Math.abs(wh - h) < 1e-9, `${w}x${h}`);
  }
});

Deno.test("planWindows() tiles a 4032×3024 photo so every level covers the whole image", () => {
  const [, ...tiles] = planWindows(4032, 3024, 12);
  assert.ok(tiles.length > 0 && tiles.length <= 12, `${tiles.length} tiles`);
  const levels = new Map<number, typeof tiles>();
  for (const t of tiles) levels.set(t.scale, [...(levels.get(t.scale) ?? []), t]);
  for (const [scale, level] of levels) {
    assert.ok(scale >= 1, "never finer than the source pixels");
    const ww = 320 * scale, wh = 240 * scale;
    for (const t of level) {
      assert.equal(t.tile, true);
      assert.ok(t.x >= 0 && t.y >= 0 && t.x + ww <= 4032 + 1e-9 && t.y + wh <= 3024 + 1e-9);
    }
    for (let y = 0; y <= 3024; y += 48) {
      for (let x = 0; x <= 4032; x += 48) {
        const covered = level.some((t) => x >= t.x && x <= t.x + ww && y >= t.y && y <= t.y + wh);
        assert.ok(covered, `(${x},${y}) is not covered at scale ${scale}`);
      }
    }
  }
});

Deno.test("planWindows() never plans more tiles than maxTiles", () => {
  for (const maxTiles of [0, 1, 4, 9, 12, 40, 200]) {
    for (const [w, h] of [[4032, 3024], [3024, 4032], [1920, 1080], [640, 480], [8000, 600]]) {
      const tiles = planWindows(w, h, maxTiles).slice(1);
      assert.ok(tiles.length <= maxTiles, `${w}x${h} maxTiles ${maxTiles}: ${tiles.length}`);
      assert.ok(tiles.every((t) => t.scale >= 1));
    }
  }
  assert.equal(planWindows(4032, 3024, 0).length, 1);
  assert.ok(planWindows(4032, 3024, 200).length > planWindows(4032, 3024, 12).length);
});

// -- detectFaces with a scripted detector -------------------------------------------------------

interface Call {
  input: Float32Array;
  dims: readonly number[];
}

/** A detector that returns `answer(callIndex)` as [score, x1, y1, x2, y2] rows (normalised). */
function scripted(answer: (call: number) => number[][]): { session: OrtSession; calls: Call[] } {
  const calls: Call[] = [];
  const session = {
    run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>) {
      calls.push({ input: feeds.input.data, dims: feeds.input.dims });
      const rows = answer(calls.length - 1);
      return Promise.resolve({
        scores: { data: new Float32Array(rows.flatMap(([s]) => [1 - s, s])) },
        boxes: { data: new Float32Array(rows.flatMap(([, ...b]) => b)) },
      });
    },
  };
  return { session: session as unknown as OrtSession, calls };
}

function blank(width: number, height: number, rgb = [0, 0, 0]): Raster {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, 255], i * 4);
  return { width, height, data };
}

Deno.test("detectFaces() maps a detector box back from the letterboxed input to source pixels", async () => {
  const { session, calls } = scripted(() => [[0.9, 0.25, 0.25, 0.5, 0.75]]);
  const found = await detectFaces(session, blank(640, 360), { maxTiles: 0 });
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0].dims, [1, 3, 240, 320]);
  // Window scale 2, y offset (360 − 480) / 2 = −60: input (80,60)-(160,180) → (160,60)-(320,300).
  assert.equal(found.length, 1);
  assert.deepEqual(found[0].box, { x: 160, y: 60, width: 160, height: 240 });
  assert.ok(Math.abs(found[0].score - 0.9) < 1e-6);
});

Deno.test("detectFaces() clamps boxes to the image and drops low scores and empty boxes", async () => {
  const { session } = scripted(() => [
    [0.95, -0.1, -0.1, 0.2, 0.2], // sticks out of the top left
    [0.69, 0.5, 0.5, 0.7, 0.7], // below the 0.7 default threshold
    [0.99, 0.6, 0.6, 0.6, 0.8], // zero width
  ]);
  const found = await detectFaces(session, blank(320, 240), { maxTiles: 0 });
  assert.equal(found.length, 1);
  const { box } = found[0];
  assert.deepEqual([box.x, box.y], [0, 0]);
  assert.ok(Math.abs(box.width - 64) < 1e-4 && Math.abs(box.height - 48) < 1e-4);
  const strict = await detectFaces(session, blank(320, 240), { maxTiles: 0, scoreThreshold: 0.96 });
  assert.deepEqual(strict, []); // only the zero-width 0.99 box passes the threshold
});

Deno.test("detectFaces() retries on a padded frame when nothing is found, unless padRetry is false", async () => {
  const none = scripted(() => []);
  assert.deepEqual(await detectFaces(none.session, blank(320, 240), { maxTiles: 0 }), []);
  assert.equal(none.calls.length, 2);
  // The padded pass shrinks the image by 1.7 and centres it: the corners are the fill value.
  assert.ok(Math.abs(none.calls[1].input[0] - 0) < 1e-6, "fill (127 − 127) / 128 at the corner");
  const noRetry = scripted(() => []);
  await detectFaces(noRetry.session, blank(320, 240), { maxTiles: 0, padRetry: false });
  assert.equal(noRetry.calls.length, 1);
});

Deno.test("detectFaces() runs the tiles unless tilesOnlyWhenEmpty and the whole image found a face", async () => {
  const face = [[0.9, 0.4, 0.4, 0.5, 0.55]];
  const raster = blank(1280, 960);
  const tiles = planWindows(1280, 960, 12).length - 1;
  assert.ok(tiles > 0);
  const all = scripted(() => face);
  await detectFaces(all.session, raster);
  assert.equal(all.calls.length, 1 + tiles);
  const skip = scripted(() => face);
  await detectFaces(skip.session, raster, { tilesOnlyWhenEmpty: true });
  assert.equal(skip.calls.length, 1);
  const empty = scripted(() => []);
  await detectFaces(empty.session, raster, { tilesOnlyWhenEmpty: true });
  assert.equal(empty.calls.length, 1 + tiles + 1); // whole, tiles, padded retry
});

Deno.test("detectFaces() drops tile boxes cut by an inner tile edge", async () => {
  // Every pass reports a face touching its left edge. Only the whole-image pass and the tiles on
  // the image's left border may keep it: elsewhere the left edge is inside the image.
  const { session, calls } = scripted(() => [[0.9, 0, 0.4, 0.1, 0.6]]);
  const found = await detectFaces(session, blank(1280, 960), { maxTiles: 9, iouThreshold: 0.99 });
  assert.equal(calls.length, 10);
  assert.ok(found.length > 0);
  assert.ok(found.every((d) => d.box.x === 0), JSON.stringify(found.map((d) => d.box)));
});

Deno.test("detectFaces() feeds the planes in the requested channel order", async () => {
  const red = blank(320, 240, [255, 0, 0]);
  for (const [channels, first] of [["rgb", (255 - 127) / 128], ["bgr", -127 / 128]] as const) {
    const { session, calls } = scripted(() => []);
    await detectFaces(session, red, { maxTiles: 0, padRetry: false, channels });
    assert.equal(calls[0].input[0], Math.fround(first));
  }
});

// -- detectFaces on real photos ----------------------------------------------------------------

const CHANNELS = MODEL_MANIFEST.detector.input.channels === "BGR" ? "bgr" : "rgb";

async function detect(relative: string) {
  const detector = await sessions.get(MODEL_MANIFEST.detector);
  const raster = await decodeImage(await readData(relative));
  return detectFaces(detector, raster, { channels: CHANNELS });
}

async function groundTruth(): Promise<Map<string, Box[]>> {
  const text = await Deno.readTextFile(`${dataDir()}/faces-misc/dlib_face_boxes.csv`);
  const boxes = new Map<string, Box[]>();
  for (const line of text.trim().split("\n").slice(1)) {
    const [file, left, top, width, height] = line.split(",");
    boxes.set(file, [...(boxes.get(file) ?? []), {
      x: +left,
      y: +top,
      width: +width,
      height: +height,
    }]);
  }
  return boxes;
}

// Group photos where every visible face is annotated (others have unannotated or costumed faces).
const GROUPS = [
  "multi_dlib_2007_007763.jpg",
  "multi_dlib_2008_001322.jpg",
  "multi_dlib_2008_002470.jpg",
  "multi_dlib_2008_002506.jpg",
  "multi_dlib_2008_007676.jpg",
];

for (const file of GROUPS) {
  Deno.test(`detectFaces() finds exactly the annotated faces in ${file}`, async () => {
    const truth = (await groundTruth()).get(file);
    assert.ok(truth && truth.length >= 3, `ground truth for ${file}`);
    const found = await detect(`faces-misc/${file}`);
    assert.equal(found.length, truth.length);
    // One-to-one: each annotated face matches a distinct detection with IoU ≥ 0.3.
    const free = new Set(found.map((_, i) => i));
    for (const t of truth) {
      let best = -1, bestIou = 0.3;
      for (const i of free) {
        const v = iou(t, found[i].box);
        if (v >= bestIou) [best, bestIou] = [i, v];
      }
      assert.ok(best >= 0, `no detection matches ${JSON.stringify(t)} in ${file}`);
      free.delete(best);
    }
  });
}

Deno.test("detectFaces() finds the one face of an LFW photo, near the centre", async () => {
  const found = await detect("faces/Aleksander_Kwasniewski/Aleksander_Kwasniewski_0001.jpg");
  assert.equal(found.length, 1);
  const { box, score } = found[0];
  assert.ok(score > 0.9);
  assert.ok(
    Math.abs(box.x + box.width / 2 - 125) < 25 && Math.abs(box.y + box.height / 2 - 125) < 35,
  );
  assert.ok(box.width > 50 && box.width < 160, `${box.width}`);
});

Deno.test("detectFaces() finds the face that fills a 92×112 ORL frame", async () => {
  const found = await detect("faces/ORL_s01/ORL_s01_01.png");
  assert.equal(found.length, 1);
  assert.ok(found[0].box.width > 40, JSON.stringify(found[0].box));
});

Deno.test("detectFaces() finds no face in a landscape", async () => {
  assert.deepEqual(await detect("faces-misc/noface_insightface_view.jpg"), []);
});
