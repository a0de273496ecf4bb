/**
 * Reading and writing ONNX models with protobufjs and the project's `onnx.proto`, and the few
 * tensor helpers the quantizer needs.
 *
 * @module
 */
import protobuf from "protobufjs";

// deno-lint-ignore no-explicit-any
export type Proto = any;

/** ONNX element types used here (TensorProto.DataType). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

let modelType: protobuf.Type | undefined;

function model(): protobuf.Type {
  if (!modelType) {
    const text = Deno.readTextFileSync(new URL("./onnx.proto", import.meta.url));
    modelType = protobuf.parse(text, { keepCase: false }).root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

/** Decodes an ONNX model. */
export function decodeModel(bytes: Uint8Array): Proto {
  return model().decode(bytes);
}

/** Encodes an ONNX model. */
export function encodeModel(m: Proto): Uint8Array {
  return model().encode(m).finish();
}

/** The float32 values of an initializer (raw_data or float_data). */
export function floatData(t: Proto): Float32Array {
  if (t.dataType !== DT.FLOAT) throw new TypeError(`Tensor ${t.name} is not float32`);
  if (t.rawData?.length) {
    const raw = t.rawData as Uint8Array;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData);
}

/** The int64 values of an initializer (raw_data or int64_data). */
export function int64Data(t: Proto): bigint[] {
  if (t.rawData?.length) {
    const raw = t.rawData as Uint8Array;
    return Array.from(
      new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
    );
  }
  return t.int64Data.map((v: { toString(): string }) => BigInt(v.toString()));
}

/** An initializer from typed data (little-endian raw_data). */
export function tensor(
  name: string,
  dataType: number,
  dims: number[],
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
): Proto {
  return {
    name,
    dataType,
    dims,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
  };
}

/** A node. */
export function node(
  opType: string,
  input: string[],
  output: string[],
  name: string,
  attribute: Proto[] = [],
): Proto {
  return { opType, input, output, name, attribute };
}

/** An integer attribute. */
export function intAttr(name: string, i: number): Proto {
  return { name, type: 2, i };
}

/** Attribute value by name (ints as numbers). */
export function attr(n: Proto, name: string): number | number[] | undefined {
  const a = n.attribute.find((x: Proto) => x.name === name);
  if (!a) return undefined;
  if (a.ints?.length) return a.ints.map(Number);
  return Number(a.i ?? 0);
}
