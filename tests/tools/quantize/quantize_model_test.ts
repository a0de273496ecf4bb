import assert from "node:assert/strict";
import * as ort from "onnxruntime-web";
import { decodeModel, encodeModel } from "../../../tools/quantize/_onnx.ts";
import {
  activationParams,
  activationTensors,
  type CalibrationStats,
  countMacs,
  quantizeModel,
} from "../../../tools/quantize/quantize_model.ts";
import { buildInt8Embedder, INT8_SHA256, sha256Hex } from "../../../tools/quantize/main.ts";
import { calibrationFile } from "../../../tools/quantize/calibrate.ts";
import { MODEL_MANIFEST, modelEntries } from "../../../models/manifest.ts";
import { fetchModels } from "../../../models/fetch_models.ts";
import { analyzeImage } from "../../../lib/pipeline/mod.ts";
import { embedFace } from "../../../lib/embed/mod.ts";
import { readData, sessions } from "../../_data.ts";

const modelFile = (file: string) =>
  Deno.readFile(new URL(`../../../models/${file}`, import.meta.url));
const stats = (): Promise<CalibrationStats> =>
  Deno.readTextFile(calibrationFile(MODEL_MANIFEST.embedder.file)).then(JSON.parse);

Deno.test("decodeModel() and encodeModel() round-trip every manifest model byte for byte", async () => {
  await fetchModels();
  for (const entry of modelEntries()) {
    const bytes = await modelFile(entry.file);
    assert.deepEqual(new Uint8Array(encodeModel(decodeModel(bytes))), bytes, entry.file);
  }
});

Deno.test("activationParams() covers the range widened to include zero in 255 uint8 steps", () => {
  assert.deepEqual(activationParams([-1, 1]), { scale: Math.fround(2 / 255), zeroPoint: 127 });
  assert.deepEqual(activationParams([0.5, 2]), { scale: Math.fround(2 / 255), zeroPoint: 0 });
  assert.deepEqual(activationParams([-3, -1]), { scale: Math.fround(3 / 255), zeroPoint: 255 });
  assert.deepEqual(activationParams([0, 0]), { scale: 1, zeroPoint: 0 });
});

Deno.test("the committed calibration statistics belong to the manifest's embedder and cover every quantized tensor", async () => {
  const s = await stats();
  assert.equal(s.model, MODEL_MANIFEST.embedder.id);
  assert.equal(s.source_sha256, MODEL_MANIFEST.embedder.sha256);
  const needed = activationTensors(decodeModel(await modelFile(MODEL_MANIFEST.embedder.file)));
  assert.equal(needed.length, 96);
  for (const t of needed) {
    const r = s.ranges[t];
    assert.ok(r && r[0] <= r[1] && Number.isFinite(r[0]) && Number.isFinite(r[1]), t);
  }
});

Deno.test("quantizeModel() refuses statistics without a needed tensor's range", async () => {
  const s = await stats();
  const ranges = { ...s.ranges };
  delete ranges[Object.keys(ranges)[0]];
  const fp32 = await modelFile(MODEL_MANIFEST.embedder.file);
  assert.throws(() => quantizeModel(fp32, { ...s, ranges }), RangeError);
});

Deno.test("buildInt8Embedder() reproduces the pinned sha256 from the committed statistics", async () => {
  await fetchModels();
  const bytes = await buildInt8Embedder();
  assert.equal(await sha256Hex(bytes), INT8_SHA256);
  // A quarter of the weight bytes, plus scales and the graph.
  const fp32 = await modelFile(MODEL_MANIFEST.embedder.file);
  assert.ok(bytes.length < fp32.length / 3, `${bytes.length} vs ${fp32.length}`);
});

Deno.test("countMacs() counts the embedder's convolutions at 112×112", async () => {
  const m = decodeModel(await modelFile(MODEL_MANIFEST.embedder.file));
  assert.equal(countMacs(m, [1, 3, 112, 112]), 221_161_984);
});

Deno.test("the int8 embedder embeds real faces close to the fp32 model, one or two per batch", async () => {
  await fetchModels();
  const int8 = await ort.InferenceSession.create(await buildInt8Embedder(), {
    executionProviders: ["wasm"],
  });
  const fp32 = await sessions.get(MODEL_MANIFEST.embedder);
  const aligned: Float32Array[] = [];
  for (
    const p of [
      "faces/Rick_Santorum/Rick_Santorum_0001.jpg",
      "faces/Aaron_Eckhart/Aaron_Eckhart_0001.jpg",
    ]
  ) {
    await analyzeImage({ sessions }, await readData(p), {
      select: "primary",
      embed: false,
      onAligned: (a) => aligned.push(a),
    });
  }
  assert.equal(aligned.length, 2);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  const q = await Promise.all(aligned.map((a) => embedFace(int8, a, { flip: false })));
  const f = await Promise.all(aligned.map((a) => embedFace(fp32, a, { flip: false })));
  for (let i = 0; i < 2; i++) assert.ok(dot(q[i], f[i]) > 0.97, `cos ${dot(q[i], f[i])}`);
  // Different people stay apart.
  assert.ok(dot(q[0], q[1]) < 0.5, `cos ${dot(q[0], q[1])}`);
  // Batch of two (dynamic batch dimension) = the two single runs.
  const both = new Float32Array(2 * aligned[0].length);
  both.set(aligned[0]);
  both.set(aligned[1], aligned[0].length);
  const out = await int8.run({ input: new ort.Tensor("float32", both, [2, 3, 112, 112]) });
  assert.deepEqual(out.output.dims, [2, 512]);
  const rows = out.output.data as Float32Array;
  for (let i = 0; i < 2; i++) {
    const row = rows.slice(i * 512, (i + 1) * 512);
    const n = Math.sqrt(dot(row, row));
    assert.ok(Math.abs(dot(row.map((v) => v / n), q[i]) - 1) < 1e-5);
  }
});
