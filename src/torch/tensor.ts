// The Tensor: a scoped JS handle to one at::Tensor. Methods follow PyTorch's names in camelCase.
// Every method returns a fresh Tensor (also in-place ops, which return an alias of `this`), so the
// caller may always dispose what it receives (TorchSharp's fresh-handle protocol).
import { registerWrapper } from "./dispatch.js";
import { type AnyTypedArray, type DType, dtypeCode, dtypeName, typedArrayCtor } from "./dtype.js";
import { guarded, TorchError } from "./errors.js";
import * as aten from "./generated/aten.js";
import { TensorMethods } from "./generated/tensor-methods.js";
import { type Handle, native } from "./native.js";
import { type Scope, type Scoped, track } from "./scope.js";

/**
 * Where a tensor lives. "meta" holds shapes without data (every op runs, nothing can be read back):
 * CPU-only tests use it as a stand-in for a second device to check that inputs follow the model.
 */
export type Device = "cpu" | "meta" | "cuda" | `cuda:${number}`;
export type TensorOrScalar = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];

/** c10::MemoryFormat codes */
const MEMORY_FORMAT = { contiguous: 0, preserve: 1, channelsLast: 2 } as const;

/**
 * The one-overload methods (relu, narrow, amax, ...) are generated from the op schemas into
 * generated/tensor-methods.ts; this class adds the core and the methods that choose an overload
 * by argument type, validate before crossing or reshape the result.
 */
export class Tensor extends TensorMethods implements Scoped, Disposable {
  #handle: Handle | null;
  _scope: Scope | undefined = undefined;

  constructor(handle: Handle) {
    super();
    this.#handle = handle;
    track(this);
  }

  /** The native handle; throws if the tensor was disposed. */
  get handle(): Handle {
    if (this.#handle === null) throw new TorchError("this tensor has already been disposed", "DisposedError");
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  dispose(): void {
    if (this.#handle === null) return;
    native.dispose(this.#handle);
    this.#handle = null;
    this._scope?.owned.delete(this);
    this._scope = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- metadata --------------------------------------------------------------------------
  get shape(): number[] {
    return native.shape(this.handle);
  }
  get ndim(): number {
    return native.shape(this.handle).length;
  }
  get numel(): number {
    return native.shape(this.handle).reduce((a, b) => a * b, 1);
  }
  size(dim: number): number {
    const s = this.shape;
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length)
      throw new TorchError(`dimension ${dim} is out of range for a ${s.length}-D tensor`, "IndexError");
    return s[d] as number;
  }
  get strides(): number[] {
    return native.strides(this.handle);
  }
  get dtype(): DType {
    return dtypeName(native.dtype(this.handle));
  }
  get device(): Device {
    return native.device(this.handle) as Device;
  }
  isContiguous(format: "contiguous" | "channelsLast" = "contiguous"): boolean {
    return native.isContiguous(this.handle, format === "channelsLast");
  }

  // ---- data out --------------------------------------------------------------------------
  /** A copy of the elements as a typed array (row-major, on the CPU). */
  toTypedArray(): AnyTypedArray {
    const Ctor = typedArrayCtor(this.dtype);
    return new Ctor(guarded(() => native.toBuffer(this.handle), "toTypedArray"));
  }
  /**
   * Zero-copy typed array over a contiguous CPU tensor's own memory (like PyTorch's .numpy()).
   * It keeps the storage alive after the tensor is disposed and sees later in-place changes.
   * Treat it as read-only: writes would bypass autograd's version checks.
   */
  asTypedArray(): AnyTypedArray {
    const Ctor = typedArrayCtor(this.dtype);
    return new Ctor(guarded(() => native.dataView(this.handle), "asTypedArray"));
  }
  /** Alias of toTypedArray for float data: the values as a Float32Array/Float64Array/…. */
  data(): AnyTypedArray {
    return this.toTypedArray();
  }
  /** The elements as numbers (int64 converted with Number(), float16/bfloat16 decoded). */
  toNumbers(): number[] {
    // 16-bit floats come out of toTypedArray as raw bits; numbers must be their values.
    if (this.dtype === "float16" || this.dtype === "bfloat16") {
      const f = this.to("float32");
      try {
        return f.toNumbers();
      } finally {
        f.dispose();
      }
    }
    const a = this.toTypedArray();
    return a instanceof BigInt64Array ? Array.from(a, Number) : Array.from(a as ArrayLike<number>);
  }
  /** Nested JS arrays, like Tensor.tolist() in PyTorch. */
  toArray(): NestedArray {
    const flat = this.toNumbers();
    const isBool = this.dtype === "bool";
    const shape = this.shape;
    let i = 0;
    const build = (d: number): NestedArray => {
      if (d === shape.length) {
        const v = flat[i++] as number;
        return isBool ? v !== 0 : v;
      }
      return Array.from({ length: shape[d] as number }, () => build(d + 1));
    };
    return build(0);
  }
  item(): number {
    const v = guarded(() => native.item(this.handle), "item");
    return typeof v === "boolean" ? Number(v) : v;
  }
  override toString(): string {
    return this.#handle === null ? "Tensor(disposed)" : native.toString(this.#handle);
  }

  // ---- conversion ------------------------------------------------------------------------
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const o =
      typeof target === "string" ? (isDevice(target) ? { device: target } : { dtype: target as DType }) : target;
    if (o.dtype !== undefined) dtypeCode(o.dtype); // names an unknown dtype before anything else
    if (
      (o.dtype === undefined || o.dtype === this.dtype) &&
      (o.device === undefined || sameDevice(o.device, this.device))
    )
      return this.alias();
    return aten._toCopy(this, o.dtype, o.device);
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  long(): Tensor {
    return this.to("int64");
  }
  int(): Tensor {
    return this.to("int32");
  }
  bool(): Tensor {
    return this.to("bool");
  }
  cpu(): Tensor {
    return this.to("cpu");
  }
  cuda(index = 0): Tensor {
    return this.to(`cuda:${index}`);
  }
  contiguous(format: "contiguous" | "channelsLast" = "contiguous"): Tensor {
    return aten.contiguous(this, format === "contiguous" ? undefined : MEMORY_FORMAT.channelsLast);
  }

  // ---- autograd --------------------------------------------------------------------------
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(v: boolean) {
    guarded(() => native.setRequiresGrad(this.handle, v), "requiresGrad");
  }
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** The accumulated gradient as a fresh (scoped) Tensor, or null. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  set grad(g: Tensor | null) {
    guarded(() => native.setGrad(this.handle, g === null ? null : g.handle), "grad");
  }
  retainGrad(): void {
    native.retainGrad(this.handle);
  }
  backward(gradient?: Tensor, opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    const create = opts.createGraph ?? false;
    guarded(
      () => native.backward([this.handle], gradient ? [gradient.handle] : null, opts.retainGraph ?? create, create),
      "backward",
    );
  }

  // ---- shape and indexing ----------------------------------------------------------------
  view(...shape: number[] | [number[]]): Tensor {
    return aten.view(this, flatShape(shape, "view"));
  }
  reshape(...shape: number[] | [number[]]): Tensor {
    return aten.reshape(this, flatShape(shape, "reshape"));
  }
  permute(...dims: number[] | [number[]]): Tensor {
    return aten.permute(this, flatShape(dims, "permute"));
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? aten.squeeze(this) : aten.squeezeDim(this, dim);
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return aten.expand(this, flatShape(shape, "expand"));
  }
  repeat(...reps: number[] | [number[]]): Tensor {
    return aten.repeat(this, flatShape(reps, "repeat"));
  }
  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return typeof src === "number" ? aten.scatterValue(this, dim, index, src) : aten.scatterSrc(this, dim, index, src);
  }
  split(sizeOrSections: number | number[], dim = 0): Tensor[] {
    return typeof sizeOrSections === "number"
      ? aten.splitTensor(this, sizeOrSections, dim)
      : aten.splitWithSizes(this, sizeOrSections, dim);
  }

  // ---- elementwise -----------------------------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number" ? aten.addScalar(this, other, alpha) : aten.addTensor(this, other, alpha);
  }
  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number" ? aten.subScalar(this, other, alpha) : aten.subTensor(this, other, alpha);
  }
  mul(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.mulScalar(this, other) : aten.mulTensor(this, other);
  }
  div(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.divScalar(this, other) : aten.divTensor(this, other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.remainderScalar(this, other) : aten.remainderTensor(this, other);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return typeof exponent === "number" ? aten.powTensorScalar(this, exponent) : aten.powTensorTensor(this, exponent);
  }
  eq(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.eqScalar(this, other) : aten.eqTensor(this, other);
  }
  ne(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.neScalar(this, other) : aten.neTensor(this, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.ltScalar(this, other) : aten.ltTensor(this, other);
  }
  le(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.leScalar(this, other) : aten.leTensor(this, other);
  }
  gt(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.gtScalar(this, other) : aten.gtTensor(this, other);
  }
  ge(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.geScalar(this, other) : aten.geTensor(this, other);
  }

  // ---- reductions ------------------------------------------------------------------------
  sum(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? aten.sum(this) : aten.sumDimIntList(this, dim, keepdim);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? aten.mean(this) : aten.meanDim(this, dim, keepdim);
  }
  prod(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? aten.prod(this) : aten.prodDimInt(this, dim, keepdim);
  }
  /** Variance; unbiased (Bessel-corrected) by default like PyTorch. */
  var(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return aten.varDim(this, dim ?? null, opts.unbiased ?? true, opts.keepdim ?? false);
  }
  std(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return aten.stdDim(this, dim ?? null, opts.unbiased ?? true, opts.keepdim ?? false);
  }
  /** max() over all elements, or {values, indices} along dim. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return aten.max(this);
    const [values, indices] = aten.maxDim(this, dim, keepdim);
    return { values, indices };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return aten.min(this);
    const [values, indices] = aten.minDim(this, dim, keepdim);
    return { values, indices };
  }
  /** p-norm over all elements or along dims. */
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return aten.linalgVectorNorm(this, p, dim ?? null, keepdim);
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = aten.topk(this, k, dim, largest, sorted);
    return { values, indices };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = aten.sort(this, dim, descending);
    return { values, indices };
  }

  // ---- linear algebra --------------------------------------------------------------------

  // ---- in-place (PyTorch's trailing underscore) --------------------------------------------
  add_(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number" ? aten.addScalar_(this, other, alpha) : aten.addTensor_(this, other, alpha);
  }
  sub_(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number" ? aten.subScalar_(this, other, alpha) : aten.subTensor_(this, other, alpha);
  }
  mul_(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.mulScalar_(this, other) : aten.mulTensor_(this, other);
  }
  div_(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? aten.divScalar_(this, other) : aten.divTensor_(this, other);
  }
}

registerWrapper((h) => new Tensor(h));

export function isDevice(s: string): s is Device {
  return s === "cpu" || s === "meta" || s.startsWith("cuda");
}

function sameDevice(a: Device, b: Device): boolean {
  const norm = (d: Device) => (d === "cuda" ? "cuda:0" : d);
  return norm(a) === norm(b);
}

/** Accepts f(2, 3) and f([2, 3]); rejects non-integers, which LibTorch would silently truncate. */
function flatShape(args: number[] | [number[]], op: string): number[] {
  const dims = Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
  for (const d of dims)
    if (!Number.isInteger(d))
      throw new TorchError(`${op}: sizes must be integers, got [${dims.join(", ")}]`, "TypeError");
  return dims;
}
