/**
 * Kernel throughput of onnxruntime-web's WASM backend on this machine: one-node models built in
 * memory (pointwise 1×1 and depthwise 3×3 convolutions of MobileFaceNet's shapes) in fp32 `Conv`,
 * int8 `QLinearConv` (uint8 activations, int8 per-channel weights, the operator onnxruntime fuses a
 * QDQ group into) and the QDQ form itself; GMAC/s from the calling thread's CPU time
 * (`/proc/thread-self/schedstat`, 1 ORT thread), so other jobs on a shared machine inflate the
 * figures less than wall time would. Also the whole models: fp32, the int8 QDQ embedder
 * (tools/quantize) and a batch of two faces against two runs of one.
 *
 * Usage: `deno run -A bench/_kernels.ts` prints a {@linkcode KernelReport} as JSON.
 *
 * @module
 */
import * as ort from "onnxruntime-web";
import {
  decodeModel,
  DT,
  encodeModel,
  intAttr,
  node,
  type Proto,
  tensor,
} from "../tools/quantize/_onnx.ts";
import { countMacs, makeBatchDynamic } from "../tools/quantize/quantize_model.ts";
import { buildInt8Embedder } from "../tools/quantize/main.ts";
import { MODEL_MANIFEST } from "../models/manifest.ts";
import { fetchModels } from "../models/fetch_models.ts";

/** One kernel measurement. */
export interface KernelResult {
  kernel: string;
  op: string;
  macs: number;
  cpu_ms: number;
  gmac_per_s: number;
}

interface Shape {
  name: string;
  cin: number;
  cout: number;
  hw: number;
  k: number;
  group: number;
}

const SHAPES: Shape[] = [
  { name: "pointwise 1×1 128→128 @ 28×28", cin: 128, cout: 128, hw: 28, k: 1, group: 1 },
  { name: "pointwise 1×1 64→128 @ 56×56", cin: 64, cout: 128, hw: 56, k: 1, group: 1 },
  { name: "depthwise 3×3 128 @ 28×28", cin: 128, cout: 128, hw: 28, k: 3, group: 128 },
];

function vi(name: string, elemType: number, dims: number[]): Proto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  };
}

function convAttrs(s: Shape): Proto[] {
  const p = (s.k - 1) / 2;
  return [
    { name: "kernel_shape", type: 7, ints: [s.k, s.k] },
    { name: "pads", type: 7, ints: [p, p, p, p] },
    intAttr("group", s.group),
  ];
}

function weights(s: Shape): { w: Float32Array; dims: number[] } {
  const dims = [s.cout, s.cin / s.group, s.k, s.k];
  const w = new Float32Array(dims.reduce((a, b) => a * b));
  let seed = 7;
  for (let i = 0; i < w.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    w[i] = (seed / 0x7fffffff - 0.5) * 0.2;
  }
  return { w, dims };
}

function model(nodes: Proto[], inits: Proto[], input: Proto, output: Proto): Uint8Array {
  return encodeModel({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "facegate-bench",
    graph: { name: "k", node: nodes, initializer: inits, input: [input], output: [output] },
  });
}

function fp32Model(s: Shape): Uint8Array {
  const { w, dims } = weights(s);
  return model(
    [node("Conv", ["x", "w"], ["y"], "conv", convAttrs(s))],
    [tensor("w", DT.FLOAT, dims, w)],
    vi("x", DT.FLOAT, [1, s.cin, s.hw, s.hw]),
    vi("y", DT.FLOAT, [1, s.cout, s.hw, s.hw]),
  );
}

function int8Inits(s: Shape): Proto[] {
  const { w, dims } = weights(s);
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.round(w[i] * 1270);
  return [
    tensor("xs", DT.FLOAT, [], Float32Array.of(1 / 64)),
    tensor("xz", DT.UINT8, [], Uint8Array.of(128)),
    tensor("wq", DT.INT8, dims, q),
    tensor("ws", DT.FLOAT, [s.cout], new Float32Array(s.cout).fill(1 / 1270)),
    tensor("wz", DT.INT8, [s.cout], new Int8Array(s.cout)),
    tensor("ys", DT.FLOAT, [], Float32Array.of(1 / 32)),
    tensor("yz", DT.UINT8, [], Uint8Array.of(128)),
  ];
}

function qlinearModel(s: Shape): Uint8Array {
  return model(
    [
      node(
        "QLinearConv",
        ["x", "xs", "xz", "wq", "ws", "wz", "ys", "yz"],
        ["y"],
        "qconv",
        convAttrs(s),
      ),
    ],
    int8Inits(s),
    vi("x", DT.UINT8, [1, s.cin, s.hw, s.hw]),
    vi("y", DT.UINT8, [1, s.cout, s.hw, s.hw]),
  );
}

function qdqModel(s: Shape): Uint8Array {
  return model(
    [
      node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], "qx"),
      node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], "dqx"),
      node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], "dqw", [intAttr("axis", 0)]),
      node("Conv", ["xd", "wd"], ["c"], "conv", convAttrs(s)),
      node("QuantizeLinear", ["c", "ys", "yz"], ["cq"], "qy"),
      node("DequantizeLinear", ["cq", "ys", "yz"], ["y"], "dqy"),
    ],
    int8Inits(s),
    vi("x", DT.FLOAT, [1, s.cin, s.hw, s.hw]),
    vi("y", DT.FLOAT, [1, s.cout, s.hw, s.hw]),
  );
}

/** CPU milliseconds of the calling thread (Linux), or wall time elsewhere. */
export function threadCpuMs(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1e6;
  } catch {
    return performance.now();
  }
}

/** Measures each kernel `runs` times (after 3 warm-up runs). ORT must use 1 thread. */
export async function measureKernels(runs = 30): Promise<KernelResult[]> {
  const out: KernelResult[] = [];
  for (const s of SHAPES) {
    const macs = s.cout * (s.cin / s.group) * s.k * s.k * s.hw * s.hw;
    const n = s.cin * s.hw * s.hw;
    const variants: [string, Uint8Array, ort.Tensor][] = [
      [
        "fp32 Conv",
        fp32Model(s),
        new ort.Tensor("float32", new Float32Array(n).fill(0.3), [1, s.cin, s.hw, s.hw]),
      ],
      [
        "int8 QLinearConv",
        qlinearModel(s),
        new ort.Tensor("uint8", new Uint8Array(n).fill(140), [1, s.cin, s.hw, s.hw]),
      ],
      [
        "int8 QDQ (fused by ORT)",
        qdqModel(s),
        new ort.Tensor("float32", new Float32Array(n).fill(0.3), [1, s.cin, s.hw, s.hw]),
      ],
    ];
    for (const [op, bytes, input] of variants) {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      });
      for (let i = 0; i < 3; i++) await session.run({ x: input });
      const c0 = threadCpuMs();
      for (let i = 0; i < runs; i++) await session.run({ x: input });
      const ms = (threadCpuMs() - c0) / runs;
      await session.release();
      out.push({
        kernel: s.name,
        op,
        macs,
        cpu_ms: Math.round(ms * 1000) / 1000,
        gmac_per_s: Math.round((macs / (ms / 1000) / 1e9) * 100) / 100,
      });
    }
  }
  return out;
}

/** A whole model's measured throughput. */
export interface ModelThroughput {
  model: string;
  /** Images per run. */
  batch: number;
  macs: number;
  cpu_ms: number;
  gmac_per_s: number;
}

/** The kernels and the whole models (fp32, the int8 QDQ embedder, batch 2 vs 1), 1 ORT thread. */
export interface KernelReport {
  kernels: KernelResult[];
  models: ModelThroughput[];
}

/** Times the manifest's models and the int8 embedder (`runs` each, thread CPU time). */
export async function measureModels(runs = 20): Promise<ModelThroughput[]> {
  await fetchModels();
  const read = (f: string) => Deno.readFile(new URL(`../models/${f}`, import.meta.url));
  const fp32 = await read(MODEL_MANIFEST.embedder.file);
  const dyn = decodeModel(fp32);
  makeBatchDynamic(dyn);
  const cases: [string, Uint8Array, number[], number][] = [
    ["detector fp32", await read(MODEL_MANIFEST.detector.file), [1, 3, 240, 320], 1],
    ["landmarks fp32", await read(MODEL_MANIFEST.landmarks.file), [1, 1, 64, 64], 1],
    ["embedder fp32", fp32, [1, 3, 112, 112], 1],
    ["embedder fp32, dynamic batch", encodeModel(dyn), [2, 3, 112, 112], 2],
    ["embedder int8 QDQ", await buildInt8Embedder(), [1, 3, 112, 112], 1],
    ["embedder int8 QDQ", await buildInt8Embedder(), [2, 3, 112, 112], 2],
  ];
  const out: ModelThroughput[] = [];
  for (const [name, bytes, shape, batch] of cases) {
    // The int8 graph's weights sit behind DequantizeLinear: count the fp32 graph's MACs.
    const m = decodeModel(name.startsWith("embedder") ? fp32 : bytes);
    const macs = countMacs(m, [1, ...shape.slice(1)]) * batch;
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ["wasm"],
      graphOptimizationLevel: "all",
    });
    const data = new Float32Array(shape.reduce((a, b) => a * b));
    let seed = 3;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      data[i] = (seed / 0x7fffffff) * 2 - 1;
    }
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const c0 = threadCpuMs();
    for (let i = 0; i < runs; i++) await session.run(feeds);
    const ms = (threadCpuMs() - c0) / runs;
    await session.release();
    out.push({
      model: name,
      batch,
      macs,
      cpu_ms: Math.round(ms * 100) / 100,
      gmac_per_s: Math.round((macs / (ms / 1000) / 1e9) * 100) / 100,
    });
  }
  return out;
}

if (import.meta.main) {
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  const report: KernelReport = { kernels: await measureKernels(), models: await measureModels() };
  console.log(JSON.stringify(report));
}
