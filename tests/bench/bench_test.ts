import assert from "node:assert/strict";
import { memoryScale } from "../../bench/_scale.ts";
import { noiseForDistance, syntheticGallery } from "../../bench/_synthetic_gallery.ts";
import { GalleryIndex } from "../../lib/match/mod.ts";
import { searchGallery } from "../../lib/match/mod.ts";
import { l2Distance } from "../../lib/match/mod.ts";
import { barChart, lineChart } from "../../bench/_svg.ts";
import { percentile } from "../../bench/_stats.ts";
import type { SpeedWorkerReport } from "../../bench/_speed_worker.ts";
import { benchImages } from "../../bench/_images.ts";

Deno.test("syntheticGallery() gives same-subject distances near the requested median", () => {
  const g = syntheticGallery({ faces: 3000, dim: 512, genuineDistance: 0.75, seed: 3 });
  assert.equal(g.faceIds.length, 3000);
  assert.equal(g.vectors.length, 3000 * 512);
  const d: number[] = [];
  for (let i = 1; i < 3000; i++) {
    if (g.subjectIndex[i] === g.subjectIndex[i - 1]) {
      d.push(
        l2Distance(
          g.vectors.subarray((i - 1) * 512, i * 512),
          g.vectors.subarray(i * 512, (i + 1) * 512),
        ),
      );
    }
  }
  assert.ok(Math.abs(percentile(d, 50) - 0.75) < 0.05, `median ${percentile(d, 50)}`);
  assert.ok(noiseForDistance(0.75, 512) > 0);
});

Deno.test("the int8 SIMD index ranks like the JS int8 scan and float32 searchGallery", () => {
  const g = syntheticGallery({ faces: 500, dim: 64, seed: 5 });
  const idx = GalleryIndex.build(g);
  const js = GalleryIndex.build(g, { simd: false });
  assert.ok(idx.simd && !js.simd);
  for (const si of [0, 17, 101]) {
    const probe = g.centres.subarray(si * 64, (si + 1) * 64);
    const a = idx.search(probe, 3),
      b = js.search(probe, 3),
      c = searchGallery(g, probe, { k: 3 });
    assert.deepEqual(a.map((x) => x.subject), b.map((x) => x.subject));
    assert.equal(a[0].subject, c[0].subject);
    assert.ok(Math.abs(a[0].distance - c[0].distance) < 0.02);
  }
});

Deno.test("memoryScale() reports sane latencies, recall and bytes per face on a tiny gallery", () => {
  const row = memoryScale(2000, 0.75, 3);
  assert.equal(row.faces, 2000);
  assert.ok(row.subjects > 500 && row.subjects <= 2000);
  for (const k of ["float32", "int8_wasm"] as const) {
    assert.ok(row[k].p50_ms >= 0 && row[k].p95_ms >= row[k].p50_ms);
    assert.ok(row[k].top1 >= 0 && row[k].top1 <= 1);
  }
  assert.ok(row.float32.bytes_per_face > 2048 && row.int8_wasm.bytes_per_face > 512);
  assert.ok(row.int8_wasm.bytes_per_face < row.float32.bytes_per_face / 3);
  assert.equal(row.int8_wasm.agree_top1_with_float, 1);
});

Deno.test("the SVG charts are well-formed standalone documents", () => {
  const line = lineChart({
    title: "a < b",
    xLabel: "x",
    yLabel: "y",
    logX: true,
    series: [{ name: "s", points: [[10, 1], [1000, 3]] }, {
      name: "t",
      dashed: true,
      points: [[10, 2], [1000, 2]],
    }],
  });
  const bars = barChart({
    title: "b",
    yLabel: "ms",
    categories: ["a", "b"],
    series: [{ name: "s", values: [1, 2] }],
  });
  for (const svg of [line, bars]) {
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg.trim(), /<\/svg>$/);
    assert.doesNotMatch(svg, /NaN|undefined/);
  }
  assert.match(line, /a &lt; b/);
});

Deno.test({
  name: "the speed worker times one image and prints per-stage JSON",
  sanitizeResources: false,
  async fn() {
    const [img] = await benchImages(["250x250"]);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../../bench/_speed_worker.ts", import.meta.url).pathname,
        "--iterations",
        "1",
        img.path,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const rep = JSON.parse(new TextDecoder().decode(out.stdout)) as SpeedWorkerReport;
    assert.equal(rep.threads, 1);
    assert.ok(rep.first_request_ms > 0 && rep.cold_ms > 0);
    assert.equal(rep.images.length, 1);
    const [image] = rep.images;
    assert.equal(image.found, 1);
    assert.deepEqual([image.width, image.height], [250, 250]);
    const run = image.runs[0];
    for (
      const k of [
        "decode",
        "detect",
        "landmarks",
        "align",
        "embed",
        "match",
        "total",
        "request",
      ] as const
    ) {
      assert.ok(Number.isFinite(run[k]) && run[k] >= 0, `${k} = ${run[k]}`);
    }
    assert.ok(run.total >= run.embed);
  },
});
