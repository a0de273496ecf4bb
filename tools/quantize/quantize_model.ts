/**
 * Static QDQ int8 quantization of a convolutional ONNX model: per-output-channel symmetric int8
 * weights, int32 biases, and asymmetric uint8 activations whose ranges come from calibration
 * statistics. onnxruntime fuses each `DequantizeLinear → Conv → QuantizeLinear` group into a
 * `QLinearConv` (and `Add` into `QLinearAdd`) when it loads the model.
 *
 * @module
 */
import {
  attr,
  decodeModel,
  DT,
  encodeModel,
  floatData,
  int64Data,
  intAttr,
  node,
  type Proto,
  tensor,
} from "./_onnx.ts";

/** Activation ranges measured on calibration data (see `calibrate.ts`). */
export interface CalibrationStats {
  /** Model the ranges belong to (the manifest id of the fp32 model). */
  model: string;
  /** sha256 of the fp32 model file. */
  source_sha256: string;
  /** How the ranges were measured (data, count, statistic). */
  method: string;
  /** Tensor name → [min, max] over the calibration inputs. */
  ranges: Record<string, [number, number]>;
}

/** Options for {@linkcode quantizeModel}. */
export interface QuantizeModelOptions {
  /** Make the batch dimension of the input and output symbolic (`N`). Default: false. */
  dynamicBatch?: boolean;
}

const QUANTIZED_OPS = new Set(["Conv", "Add"]);

/**
 * The activation tensors that get a QuantizeLinear/DequantizeLinear pair: every non-constant
 * input and output of a `Conv` or `Add`. Their ranges must be in the calibration statistics.
 */
export function activationTensors(model: Proto): string[] {
  const inits = new Set(model.graph.initializer.map((t: Proto) => t.name));
  const out = new Set<string>();
  for (const n of model.graph.node) {
    if (!QUANTIZED_OPS.has(n.opType)) continue;
    const acts = n.opType === "Conv" ? [n.input[0]] : n.input;
    for (const x of [...acts, ...n.output]) if (!inits.has(x)) out.add(x);
  }
  return [...out];
}

/** Multiply-accumulates of the model's Conv and Gemm nodes for one input of `shape` (NCHW). */
export function countMacs(model: Proto, shape: number[]): number {
  const inits = new Map<string, Proto>(model.graph.initializer.map((t: Proto) => [t.name, t]));
  const shapes = new Map<string, number[]>([[model.graph.input[0].name, shape]]);
  let macs = 0;
  for (const n of model.graph.node) {
    const x = shapes.get(n.input[0]);
    if (n.opType === "Conv" && x) {
      const w = inits.get(n.input[1])!.dims.map(Number);
      const k = (attr(n, "kernel_shape") as number[]) ?? w.slice(2);
      const s = (attr(n, "strides") as number[]) ?? [1, 1];
      const p = (attr(n, "pads") as number[]) ?? [0, 0, 0, 0];
      const h = Math.floor((x[2] + p[0] + p[2] - k[0]) / s[0]) + 1;
      const wd = Math.floor((x[3] + p[1] + p[3] - k[1]) / s[1]) + 1;
      macs += w[0] * w[1] * k[0] * k[1] * h * wd;
      shapes.set(n.output[0], [x[0], w[0], h, wd]);
    } else if (n.opType === "Gemm" && x) {
      const w = inits.get(n.input[1])!.dims.map(Number);
      macs += w[0] * w[1];
      shapes.set(n.output[0], [x[0], w[0]]);
    } else if (x) {
      for (const o of n.output) shapes.set(o, x);
    }
  }
  return macs;
}

/** uint8 scale and zero point covering `[min, max]` (widened to include 0). */
export function activationParams(range: [number, number]): { scale: number; zeroPoint: number } {
  const lo = Math.min(range[0], 0), hi = Math.max(range[1], 0);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/**
 * Quantizes `fp32` (ONNX bytes) to a QDQ int8 model with the activation ranges of `stats`.
 * Deterministic: the same inputs give the same bytes.
 * @throws {RangeError} when a needed activation range is missing from `stats`.
 */
export function quantizeModel(
  fp32: Uint8Array,
  stats: CalibrationStats,
  options: QuantizeModelOptions = {},
): Uint8Array {
  const model = decodeModel(fp32);
  const g = model.graph;
  const inits = new Map<string, Proto>(g.initializer.map((t: Proto) => [t.name, t]));
  const acts = activationTensors(model);
  const params = new Map<string, { scale: number; zeroPoint: number }>();
  for (const a of acts) {
    const r = stats.ranges[a];
    if (!r) throw new RangeError(`Cannot quantize: no calibration range for tensor "${a}"`);
    params.set(a, activationParams(r));
  }
  const newInits: Proto[] = [];
  const dq = (name: string) => `${name}_dq`;
  // Q → DQ pair after the producer of each activation tensor; consumers read the DQ output.
  const qdqPair = (t: string): Proto[] => {
    const { scale, zeroPoint } = params.get(t)!;
    newInits.push(tensor(`${t}_scale`, DT.FLOAT, [], Float32Array.of(scale)));
    newInits.push(tensor(`${t}_zp`, DT.UINT8, [], Uint8Array.of(zeroPoint)));
    return [
      node("QuantizeLinear", [t, `${t}_scale`, `${t}_zp`], [`${t}_q`], `${t}_QuantizeLinear`),
      node(
        "DequantizeLinear",
        [`${t}_q`, `${t}_scale`, `${t}_zp`],
        [dq(t)],
        `${t}_DequantizeLinear`,
      ),
    ];
  };
  const nodes: Proto[] = [];
  for (const input of g.input) if (params.has(input.name)) nodes.push(...qdqPair(input.name));
  for (const n of g.node) {
    n.input = n.input.map((x: string) => (params.has(x) ? dq(x) : x));
    if (n.opType === "Conv") {
      const wt = inits.get(n.input[1])!;
      const w = floatData(wt);
      const channels = Number(wt.dims[0]);
      const per = w.length / channels;
      const wq = new Int8Array(w.length);
      const ws = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        let m = 0;
        for (let i = c * per; i < (c + 1) * per; i++) m = Math.max(m, Math.abs(w[i]));
        ws[c] = m > 0 ? m / 127 : 1;
        for (let i = c * per; i < (c + 1) * per; i++) {
          wq[i] = Math.max(-127, Math.min(127, Math.round(w[i] / ws[c])));
        }
      }
      const wName = wt.name;
      newInits.push(tensor(`${wName}_q`, DT.INT8, wt.dims.map(Number), wq));
      newInits.push(tensor(`${wName}_scale`, DT.FLOAT, [channels], ws));
      newInits.push(tensor(`${wName}_zp`, DT.INT8, [channels], new Int8Array(channels)));
      nodes.push(
        node(
          "DequantizeLinear",
          [`${wName}_q`, `${wName}_scale`, `${wName}_zp`],
          [dq(wName)],
          `${wName}_DequantizeLinear`,
          [intAttr("axis", 0)],
        ),
      );
      const xName = n.input[0].replace(/_dq$/, "");
      const xs = params.get(xName)!.scale;
      const inputs = [n.input[0], dq(wName)];
      if (n.input[2]) {
        const bt = inits.get(n.input[2])!;
        const b = floatData(bt);
        const bs = new Float32Array(channels);
        const bq = new Int32Array(channels);
        for (let c = 0; c < channels; c++) {
          bs[c] = Math.fround(xs * ws[c]);
          bq[c] = Math.round(b[c] / bs[c]);
        }
        const bName = bt.name;
        newInits.push(tensor(`${bName}_q`, DT.INT32, [channels], bq));
        newInits.push(tensor(`${bName}_scale`, DT.FLOAT, [channels], bs));
        newInits.push(tensor(`${bName}_zp`, DT.INT32, [channels], new Int32Array(channels)));
        nodes.push(
          node(
            "DequantizeLinear",
            [`${bName}_q`, `${bName}_scale`, `${bName}_zp`],
            [dq(bName)],
            `${bName}_DequantizeLinear`,
            [intAttr("axis", 0)],
          ),
        );
        inputs.push(dq(bName));
      }
      n.input = inputs;
    }
    nodes.push(n);
    for (const o of n.output) if (params.has(o)) nodes.push(...qdqPair(o));
  }
  // Drop the float weights and biases now fed through DequantizeLinear.
  const used = new Set(nodes.flatMap((n) => n.input));
  g.initializer = [...g.initializer.filter((t: Proto) => used.has(t.name)), ...newInits];
  g.node = nodes;
  // QuantizeLinear/DequantizeLinear with a per-channel axis need opset 13.
  for (const o of model.opsetImport) if (!o.domain) o.version = Math.max(Number(o.version), 13);
  if (options.dynamicBatch) makeBatchDynamic(model);
  return encodeModel(model);
}

/**
 * Symbolic batch `N` on every graph input and output; a Reshape target of batch 1 keeps the
 * input's batch instead (`0`, or `-1` when no other dimension is `-1`).
 */
export function makeBatchDynamic(model: Proto): void {
  const g = model.graph;
  for (const v of [...g.input, ...g.output]) {
    const dim = v.type?.tensorType?.shape?.dim?.[0];
    if (dim) {
      delete dim.dimValue;
      dim.dimParam = "N";
    }
  }
  g.valueInfo = [];
  const inits = new Map<string, Proto>(g.initializer.map((t: Proto) => [t.name, t]));
  for (const n of g.node) {
    if (n.opType !== "Reshape") continue;
    const t = inits.get(n.input[1]);
    if (!t) continue;
    const shape = int64Data(t);
    if (shape[0] === 1n) {
      shape[0] = shape.slice(1).includes(-1n) ? 0n : -1n;
      const replaced = tensor(t.name, DT.INT64, t.dims.map(Number), BigInt64Array.from(shape));
      g.initializer[g.initializer.indexOf(t)] = replaced;
    }
  }
}
