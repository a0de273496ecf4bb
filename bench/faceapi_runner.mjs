// Times @vladmandic/face-api (SSD MobileNet v1 + 68 landmarks + 128-d recogniser) on the tfjs
// WASM backend under Node, for the speed benchmark (bench/bench.ts spawns it).
//
// Usage: node bench/faceapi_runner.mjs --threads N --iterations K img1.jpg [img2.jpg ...]
// Prints one JSON object: { backend, threads, cold_ms, images: [{ path, runs: [{decode, detect,
// landmarks, embed, total}], found }] }. `cold_ms` is process start to the first descriptor.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";

const start = performance.timeOrigin;
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const threads = Number(opt("threads", "1"));
const iterations = Number(opt("iterations", "5"));
const images = args;

const tf = require("@tensorflow/tfjs");
const wasm = require("@tensorflow/tfjs-backend-wasm");
const wasmDir = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")), "/");
wasm.setWasmPaths(wasmDir);
wasm.setThreadsCount?.(threads);
const faceapi = require("@vladmandic/face-api/dist/face-api.node-wasm.js");
const jpeg = require("jpeg-js");
await tf.setBackend("wasm");
await tf.ready();
const modelDir = join(dirname(require.resolve("@vladmandic/face-api/package.json")), "model");
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
const ssd = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });

async function once(bytes) {
  const t0 = performance.now();
  const raw = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: false,
    maxMemoryUsageInMB: 1024,
  });
  const input = tf.tensor3d(raw.data, [raw.height, raw.width, 3], "int32");
  const t1 = performance.now();
  const dets = await faceapi.nets.ssdMobilenetv1.locateFaces(input, ssd);
  const t2 = performance.now();
  let det = null;
  for (const d of dets) if (!det || d.box.area > det.box.area) det = d;
  let t3 = t2, t4 = t2;
  if (det) {
    const [crop] = await faceapi.extractFaceTensors(input, [det]);
    const lm = await faceapi.nets.faceLandmark68Net.detectLandmarks(crop);
    crop.dispose();
    const shifted = lm.shiftBy(det.box.x, det.box.y);
    t3 = performance.now();
    const [aligned] = await faceapi.extractFaceTensors(input, [shifted.align()]);
    const desc = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(aligned);
    aligned.dispose();
    if (!(desc instanceof Float32Array) || desc.length !== 128) throw new Error("bad descriptor");
    t4 = performance.now();
  }
  input.dispose();
  return {
    found: det ? 1 : 0,
    timings: {
      decode: t1 - t0,
      detect: t2 - t1,
      landmarks: t3 - t2,
      embed: t4 - t3,
      total: t4 - t0,
    },
  };
}

const out = {
  backend: tf.getBackend(),
  threads: wasm.getThreadsCount?.() ?? null,
  tfjs: tf.version.tfjs,
  cold_ms: 0,
  images: [],
};
const files = images.map((p) => readFileSync(p));
const first = await once(files[0]);
out.cold_ms = performance.timeOrigin + performance.now() - start;
for (const [i, path] of images.entries()) {
  const runs = [];
  let found = 0;
  for (let k = 0; k < iterations; k++) {
    const r = await once(files[i]);
    runs.push(r.timings);
    found = r.found;
  }
  out.images.push({ path, found, runs });
}
out.first_request_ms = first.timings.total;
console.log(JSON.stringify(out));
