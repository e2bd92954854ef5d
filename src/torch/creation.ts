// Tensor factories: from JS data, constants, ranges and random draws.
import { type AnyTypedArray, type DType, dtypeCode, dtypeOfTypedArray, typedArrayCtor } from "./dtype.js";
import { guarded, TorchError } from "./errors.js";
import * as aten from "./generated/aten.js";
import { native } from "./native.js";
import { type Device, type NestedArray, Tensor } from "./tensor.js";

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function finish(t: Tensor, o: TensorOptions): Tensor {
  let out = t;
  if (o.device !== undefined && o.device !== "cpu") {
    out = t.to(o.device);
    t.dispose();
  }
  if (o.requiresGrad) out.requiresGrad = true;
  return out;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], depth: number, out: number[], path: string): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new TorchError(`ragged nested array at ${path}: expected a number`, "ValueError");
    out.push(typeof data === "boolean" ? Number(data) : data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth])
    throw new TorchError(`ragged nested array at ${path}: expected length ${shape[depth]}`, "ValueError");
  for (let i = 0; i < data.length; i++) flatten(data[i] as NestedArray, shape, depth + 1, out, `${path}[${i}]`);
}

/**
 * Creates a tensor from nested arrays, or from a typed array with an explicit shape.
 * Numbers default to float32, booleans to bool; typed arrays keep their element type.
 */
export function tensor(data: NestedArray | AnyTypedArray, opts: TensorOptions & { shape?: number[] } = {}): Tensor {
  if (ArrayBuffer.isView(data)) return fromTypedArray(data, opts.shape ?? [data.length], opts);
  const shape = inferShape(data);
  const flat: number[] = [];
  flatten(data, shape, 0, flat, "data");
  const isBool = typeof (shape.length === 0 ? data : firstLeaf(data)) === "boolean";
  const dtype = opts.dtype ?? (isBool ? "bool" : "float32");
  const Ctor = typedArrayCtor(dtype);
  const buf: AnyTypedArray =
    Ctor === BigInt64Array
      ? BigInt64Array.from(flat, (v) => BigInt(Math.trunc(v)))
      : new (Ctor as Float64ArrayConstructor)(flat);
  return finish(new Tensor(guarded(() => native.fromBuffer(buf, shape, dtypeCode(dtype)), "tensor")), opts);
}

function firstLeaf(d: NestedArray): NestedArray {
  let cur = d;
  while (Array.isArray(cur) && cur.length > 0) cur = cur[0] as NestedArray;
  return cur;
}

/** Copies a typed array into a new tensor of the given shape (dtype from the array unless given). */
export function fromTypedArray(data: AnyTypedArray, shape: number[], opts: TensorOptions = {}): Tensor {
  const dtype = opts.dtype ?? dtypeOfTypedArray(data);
  const Ctor = typedArrayCtor(dtype);
  if (!(data instanceof Ctor))
    throw new TorchError(`dtype ${dtype} needs a ${Ctor.name}, got a ${data.constructor.name}`, "TypeError");
  return finish(new Tensor(guarded(() => native.fromBuffer(data, shape, dtypeCode(dtype)), "fromTypedArray")), opts);
}

const dt = (o: TensorOptions): DType => o.dtype ?? "float32";

/** Sizes must be non-negative integers; LibTorch would silently truncate 2.5 to 2. */
function checkShape(op: string, shape: number[]): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new TorchError(
      `${op}: shape must be an array of non-negative integers, got [${String(shape)}]`,
      "ValueError",
    );
  return shape;
}

export function zeros(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(aten.zeros(checkShape("zeros", shape), dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function ones(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(aten.ones(checkShape("ones", shape), dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function full(shape: number[], value: number, opts: TensorOptions = {}): Tensor {
  return finish(aten.full(checkShape("full", shape), value, dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function empty(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(aten.emptyMemoryFormat(checkShape("empty", shape), dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return zeros(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return ones(t.shape, { dtype: t.dtype, device: t.device, ...opts });
}
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...opts });
}
/** Values start, start+step, … < end. Integer arguments give int64 unless dtype is set. */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, start] : [start, end];
  const integral = Number.isInteger(s) && Number.isInteger(e) && Number.isInteger(step);
  const dtype = opts.dtype ?? (integral ? "int64" : "float32");
  return finish(aten.arangeStartStep(s, e, step, dtype, opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  return finish(aten.linspace(start, end, steps, dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
export function eye(n: number, opts: TensorOptions = {}): Tensor {
  return finish(aten.eye(n, dt(opts), opts.device ?? null), { requiresGrad: opts.requiresGrad });
}
/** Standard normal samples (seeded by manualSeed). */
export function randn(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(aten.randn(checkShape("randn", shape), dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
/** Uniform samples in [0, 1). */
export function rand(shape: number[], opts: TensorOptions = {}): Tensor {
  return finish(aten.rand(checkShape("rand", shape), dt(opts), opts.device ?? null), {
    requiresGrad: opts.requiresGrad,
  });
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: number[], opts: TensorOptions = {}): Tensor {
  if (!(high > low)) throw new TorchError(`randint needs high > low, got low=${low} high=${high}`, "ValueError");
  return aten.randintLow(low, high, checkShape("randint", shape), opts.dtype ?? "int64", opts.device ?? null);
}
/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts: TensorOptions = {}): Tensor {
  return aten.randperm(n, opts.dtype ?? "int64", opts.device ?? null);
}
/** Draws from Bernoulli(p) elementwise, p a tensor of probabilities. */
export function bernoulli(p: Tensor): Tensor {
  return aten.bernoulli(p);
}
/** Draws num samples per row from the categorical distributions in the rows of probs. */
export function multinomial(probs: Tensor, num: number, replacement = false): Tensor {
  return aten.multinomial(probs, num, replacement);
}
