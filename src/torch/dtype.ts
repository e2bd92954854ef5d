// Data types and their LibTorch ScalarType codes (c10/core/ScalarType.h).
export type DType =
  | "uint8"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "float16"
  | "float32"
  | "float64"
  | "bool"
  | "bfloat16";

const codes: Record<DType, number> = {
  uint8: 0,
  int8: 1,
  int16: 2,
  int32: 3,
  int64: 4,
  float16: 5,
  float32: 6,
  float64: 7,
  bool: 11,
  bfloat16: 15,
};
const names = new Map<number, DType>(Object.entries(codes).map(([k, v]) => [v, k as DType]));

export function dtypeCode(d: DType): number {
  const c = codes[d];
  if (c === undefined)
    throw new TypeError(`unknown dtype '${String(d)}'; expected one of ${Object.keys(codes).join(", ")}`);
  return c;
}

export function dtypeName(code: number): DType {
  const n = names.get(code);
  if (n === undefined) throw new TypeError(`LibTorch dtype code ${code} is not supported by facelab`);
  return n;
}

/** Bytes per element of each dtype (c10::elementSize): the one table for file formats and buckets. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
  bool: 1,
  bfloat16: 2,
};

export function itemSize(d: DType): number {
  const n = DTYPE_BYTES[d];
  if (n === undefined)
    throw new TypeError(`unknown dtype '${String(d)}'; expected one of ${Object.keys(codes).join(", ")}`);
  return n;
}

export const isFloating = (d: DType): boolean =>
  d === "float16" || d === "float32" || d === "float64" || d === "bfloat16";

export type TypedArrayFor<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float64"
    ? Float64Array
    : D extends "int32"
      ? Int32Array
      : D extends "int64"
        ? BigInt64Array
        : D extends "int16"
          ? Int16Array
          : D extends "int8"
            ? Int8Array
            : D extends "float16" | "bfloat16"
              ? Uint16Array
              : Uint8Array;

export type AnyTypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Int16Array
  | Int8Array
  | Uint16Array
  | Uint8Array;

/** The typed array class that holds a dtype's raw elements (16-bit floats as raw Uint16 bits). */
export function typedArrayCtor(d: DType) {
  switch (d) {
    case "float32":
      return Float32Array;
    case "float64":
      return Float64Array;
    case "int32":
      return Int32Array;
    case "int64":
      return BigInt64Array;
    case "int16":
      return Int16Array;
    case "int8":
      return Int8Array;
    case "float16":
    case "bfloat16":
      return Uint16Array;
    default:
      return Uint8Array;
  }
}

/** The natural dtype of a typed array's elements. */
export function dtypeOfTypedArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof BigInt64Array) return "int64";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint16Array) throw new TypeError("a Uint16Array is ambiguous: pass dtype 'float16' or 'bfloat16'");
  return "uint8";
}
