// The Tensor: a scoped JS handle to one at::Tensor. Methods follow PyTorch's names in camelCase.
// Every method returns a fresh Tensor (also in-place ops, which return an alias of `this`), so the
// caller may always dispose what it receives (TorchSharp's fresh-handle protocol).
import { callOp, registerWrapper } from "./dispatch.js";
import { type AnyTypedArray, type DType, dtypeCode, dtypeName, typedArrayCtor } from "./dtype.js";
import { guarded, TorchError } from "./errors.js";
import { type Handle, native } from "./native.js";
import { type Scope, type Scoped, track } from "./scope.js";

export type Device = "cpu" | "cuda" | `cuda:${number}`;
export type TensorOrScalar = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];

/** c10::MemoryFormat codes */
const MEMORY_FORMAT = { contiguous: 0, preserve: 1, channelsLast: 2 } as const;

export class Tensor implements Scoped, Disposable {
  #handle: Handle | null;
  _scope: Scope | undefined = undefined;

  constructor(handle: Handle) {
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
  toString(): string {
    return this.#handle === null ? "Tensor(disposed)" : native.toString(this.#handle);
  }

  // ---- conversion ------------------------------------------------------------------------
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const o =
      typeof target === "string" ? (isDevice(target) ? { device: target } : { dtype: target as DType }) : target;
    const dtype = o.dtype === undefined ? undefined : dtypeCode(o.dtype);
    if (
      (o.dtype === undefined || o.dtype === this.dtype) &&
      (o.device === undefined || sameDevice(o.device, this.device))
    )
      return this.alias();
    return callOp("_to_copy", this, dtype, undefined, o.device);
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
  alias(): Tensor {
    return callOp("alias", this);
  }
  clone(): Tensor {
    return callOp("clone", this);
  }
  detach(): Tensor {
    return callOp("detach", this);
  }
  contiguous(format: "contiguous" | "channelsLast" = "contiguous"): Tensor {
    if (format === "contiguous") return callOp("contiguous", this);
    return callOp("contiguous", this, MEMORY_FORMAT.channelsLast);
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
    return callOp("view", this, flatShape(shape, "view"));
  }
  reshape(...shape: number[] | [number[]]): Tensor {
    return callOp("reshape", this, flatShape(shape, "reshape"));
  }
  permute(...dims: number[] | [number[]]): Tensor {
    return callOp("permute", this, flatShape(dims, "permute"));
  }
  transpose(d0: number, d1: number): Tensor {
    return callOp("transpose.int", this, d0, d1);
  }
  t(): Tensor {
    return callOp("t", this);
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return callOp("flatten.using_ints", this, startDim, endDim);
  }
  squeeze(dim?: number): Tensor {
    return dim === undefined ? callOp("squeeze", this) : callOp("squeeze.dim", this, dim);
  }
  unsqueeze(dim: number): Tensor {
    return callOp("unsqueeze", this, dim);
  }
  expand(...shape: number[] | [number[]]): Tensor {
    return callOp("expand", this, flatShape(shape, "expand"));
  }
  expandAs(other: Tensor): Tensor {
    return callOp("expand_as", this, other);
  }
  repeat(...reps: number[] | [number[]]): Tensor {
    return callOp("repeat", this, flatShape(reps, "repeat"));
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return callOp("narrow", this, dim, start, length);
  }
  select(dim: number, index: number): Tensor {
    return callOp("select.int", this, dim, index);
  }
  /** Python's t[start:end:step] along dim (end may be omitted; negative indices count from the end). */
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return callOp("slice.Tensor", this, dim, start ?? null, end ?? null, step);
  }
  /** Advanced indexing, like t[idx0, idx1, ...] with tensors (null = whole dimension). */
  index(indices: (Tensor | null)[]): Tensor {
    return callOp("index.Tensor", this, indices);
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return callOp("index_select", this, dim, index);
  }
  gather(dim: number, index: Tensor): Tensor {
    return callOp("gather", this, dim, index);
  }
  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return typeof src === "number"
      ? callOp("scatter.value", this, dim, index, src)
      : callOp("scatter.src", this, dim, index, src);
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return callOp("scatter_add", this, dim, index, src);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return callOp("masked_fill.Scalar", this, mask, value);
  }
  maskedSelect(mask: Tensor): Tensor {
    return callOp("masked_select", this, mask);
  }
  split(sizeOrSections: number | number[], dim = 0): Tensor[] {
    return typeof sizeOrSections === "number"
      ? callOp("split.Tensor", this, sizeOrSections, dim)
      : callOp("split_with_sizes", this, sizeOrSections, dim);
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return callOp("chunk", this, chunks, dim);
  }
  unbind(dim = 0): Tensor[] {
    return callOp("unbind.int", this, dim);
  }
  flip(dims: number[]): Tensor {
    return callOp("flip", this, dims);
  }
  roll(shifts: number | number[], dims: number | number[] = []): Tensor {
    return callOp("roll", this, toList(shifts), toList(dims));
  }
  tril(diagonal = 0): Tensor {
    return callOp("tril", this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return callOp("triu", this, diagonal);
  }

  // ---- elementwise -----------------------------------------------------------------------
  add(other: TensorOrScalar, alpha = 1): Tensor {
    return binary("add", this, other, alpha);
  }
  sub(other: TensorOrScalar, alpha = 1): Tensor {
    return binary("sub", this, other, alpha);
  }
  mul(other: TensorOrScalar): Tensor {
    return binary("mul", this, other);
  }
  div(other: TensorOrScalar): Tensor {
    return binary("div", this, other);
  }
  /** other - this */
  rsub(other: number): Tensor {
    return callOp("rsub.Scalar", this, other);
  }
  remainder(other: TensorOrScalar): Tensor {
    return binary("remainder", this, other);
  }
  pow(exponent: TensorOrScalar): Tensor {
    return typeof exponent === "number"
      ? callOp("pow.Tensor_Scalar", this, exponent)
      : callOp("pow.Tensor_Tensor", this, exponent);
  }
  neg(): Tensor {
    return callOp("neg", this);
  }
  abs(): Tensor {
    return callOp("abs", this);
  }
  sign(): Tensor {
    return callOp("sign", this);
  }
  exp(): Tensor {
    return callOp("exp", this);
  }
  log(): Tensor {
    return callOp("log", this);
  }
  log1p(): Tensor {
    return callOp("log1p", this);
  }
  sqrt(): Tensor {
    return callOp("sqrt", this);
  }
  rsqrt(): Tensor {
    return callOp("rsqrt", this);
  }
  square(): Tensor {
    return callOp("square", this);
  }
  reciprocal(): Tensor {
    return callOp("reciprocal", this);
  }
  sin(): Tensor {
    return callOp("sin", this);
  }
  cos(): Tensor {
    return callOp("cos", this);
  }
  acos(): Tensor {
    return callOp("acos", this);
  }
  asin(): Tensor {
    return callOp("asin", this);
  }
  tanh(): Tensor {
    return callOp("tanh", this);
  }
  sigmoid(): Tensor {
    return callOp("sigmoid", this);
  }
  relu(): Tensor {
    return callOp("relu", this);
  }
  floor(): Tensor {
    return callOp("floor", this);
  }
  ceil(): Tensor {
    return callOp("ceil", this);
  }
  round(): Tensor {
    return callOp("round", this);
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return callOp("clamp", this, min ?? null, max ?? null);
  }
  minimum(other: Tensor): Tensor {
    return callOp("minimum", this, other);
  }
  maximum(other: Tensor): Tensor {
    return callOp("maximum", this, other);
  }
  eq(other: TensorOrScalar): Tensor {
    return compare("eq", this, other);
  }
  ne(other: TensorOrScalar): Tensor {
    return compare("ne", this, other);
  }
  lt(other: TensorOrScalar): Tensor {
    return compare("lt", this, other);
  }
  le(other: TensorOrScalar): Tensor {
    return compare("le", this, other);
  }
  gt(other: TensorOrScalar): Tensor {
    return compare("gt", this, other);
  }
  ge(other: TensorOrScalar): Tensor {
    return compare("ge", this, other);
  }
  logicalNot(): Tensor {
    return callOp("logical_not", this);
  }
  logicalAnd(other: Tensor): Tensor {
    return callOp("logical_and", this, other);
  }
  logicalOr(other: Tensor): Tensor {
    return callOp("logical_or", this, other);
  }
  isnan(): Tensor {
    return callOp("isnan", this);
  }
  isfinite(): Tensor {
    return callOp("isfinite", this);
  }

  // ---- reductions ------------------------------------------------------------------------
  sum(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? callOp("sum", this) : callOp("sum.dim_IntList", this, toList(dim), keepdim);
  }
  mean(dim?: number | number[], keepdim = false): Tensor {
    return dim === undefined ? callOp("mean", this) : callOp("mean.dim", this, toList(dim), keepdim);
  }
  prod(dim?: number, keepdim = false): Tensor {
    return dim === undefined ? callOp("prod", this) : callOp("prod.dim_int", this, dim, keepdim);
  }
  /** Variance; unbiased (Bessel-corrected) by default like PyTorch. */
  var(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return callOp(
      "var.dim",
      this,
      dim === undefined ? null : toList(dim),
      opts.unbiased ?? true,
      opts.keepdim ?? false,
    );
  }
  std(dim?: number | number[], opts: { unbiased?: boolean; keepdim?: boolean } = {}): Tensor {
    return callOp(
      "std.dim",
      this,
      dim === undefined ? null : toList(dim),
      opts.unbiased ?? true,
      opts.keepdim ?? false,
    );
  }
  /** max() over all elements, or {values, indices} along dim. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return callOp("max", this);
    const [values, indices] = callOp<[Tensor, Tensor]>("max.dim", this, dim, keepdim);
    return { values, indices };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return callOp("min", this);
    const [values, indices] = callOp<[Tensor, Tensor]>("min.dim", this, dim, keepdim);
    return { values, indices };
  }
  amax(dim: number | number[] = [], keepdim = false): Tensor {
    return callOp("amax", this, toList(dim), keepdim);
  }
  amin(dim: number | number[] = [], keepdim = false): Tensor {
    return callOp("amin", this, toList(dim), keepdim);
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return callOp("argmax", this, dim ?? null, keepdim);
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return callOp("argmin", this, dim ?? null, keepdim);
  }
  /** p-norm over all elements or along dims. */
  norm(p = 2, dim?: number | number[], keepdim = false): Tensor {
    return callOp("linalg_vector_norm", this, p, dim === undefined ? null : toList(dim), keepdim);
  }
  logsumexp(dim: number | number[], keepdim = false): Tensor {
    return callOp("logsumexp", this, toList(dim), keepdim);
  }
  topk(k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [values, indices] = callOp<[Tensor, Tensor]>("topk", this, k, dim, largest, sorted);
    return { values, indices };
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [values, indices] = callOp<[Tensor, Tensor]>("sort", this, dim, descending);
    return { values, indices };
  }
  argsort(dim = -1, descending = false): Tensor {
    return callOp("argsort", this, dim, descending);
  }
  cumsum(dim: number): Tensor {
    return callOp("cumsum", this, dim);
  }
  any(): Tensor {
    return callOp("any", this);
  }
  all(): Tensor {
    return callOp("all", this);
  }

  // ---- linear algebra --------------------------------------------------------------------
  matmul(other: Tensor): Tensor {
    return callOp("matmul", this, other);
  }
  mm(other: Tensor): Tensor {
    return callOp("mm", this, other);
  }
  bmm(other: Tensor): Tensor {
    return callOp("bmm", this, other);
  }
  dot(other: Tensor): Tensor {
    return callOp("dot", this, other);
  }

  // ---- in-place (PyTorch's trailing underscore) --------------------------------------------
  add_(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number"
      ? callOp("add_.Scalar", this, other, alpha)
      : callOp("add_.Tensor", this, other, alpha);
  }
  sub_(other: TensorOrScalar, alpha = 1): Tensor {
    return typeof other === "number"
      ? callOp("sub_.Scalar", this, other, alpha)
      : callOp("sub_.Tensor", this, other, alpha);
  }
  mul_(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? callOp("mul_.Scalar", this, other) : callOp("mul_.Tensor", this, other);
  }
  div_(other: TensorOrScalar): Tensor {
    return typeof other === "number" ? callOp("div_.Scalar", this, other) : callOp("div_.Tensor", this, other);
  }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): Tensor {
    return callOp("addcmul_", this, t1, t2, value);
  }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): Tensor {
    return callOp("addcdiv_", this, t1, t2, value);
  }
  lerp_(end: Tensor, weight: number): Tensor {
    return callOp("lerp_.Scalar", this, end, weight);
  }
  clamp_(min?: number | null, max?: number | null): Tensor {
    return callOp("clamp_", this, min ?? null, max ?? null);
  }
  sqrt_(): Tensor {
    return callOp("sqrt_", this);
  }
  relu_(): Tensor {
    return callOp("relu_", this);
  }
  zero_(): Tensor {
    return callOp("zero_", this);
  }
  fill_(value: number): Tensor {
    return callOp("fill_.Scalar", this, value);
  }
  copy_(src: Tensor): Tensor {
    return callOp("copy_", this, src, false);
  }
  maskedFill_(mask: Tensor, value: number): Tensor {
    return callOp("masked_fill_.Scalar", this, mask, value);
  }
  uniform_(from = 0, to = 1): Tensor {
    return callOp("uniform_", this, from, to, null);
  }
  normal_(mean = 0, std = 1): Tensor {
    return callOp("normal_", this, mean, std, null);
  }
  bernoulli_(p: number): Tensor {
    return callOp("bernoulli_.float", this, p, null);
  }
}

registerWrapper((h) => new Tensor(h));

function isDevice(s: string): s is Device {
  return s === "cpu" || s.startsWith("cuda");
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

function toList(x: number | number[]): number[] {
  return typeof x === "number" ? [x] : x;
}

// Overload names spelled out once: building `${op}.Tensor` per call cost a string allocation and a
// hash on the hot path (bench/README.md "Per-op overhead").
const OVERLOADS = {
  add: ["add.Tensor", "add.Scalar"],
  sub: ["sub.Tensor", "sub.Scalar"],
  mul: ["mul.Tensor", "mul.Scalar"],
  div: ["div.Tensor", "div.Scalar"],
  remainder: ["remainder.Tensor", "remainder.Scalar"],
  eq: ["eq.Tensor", "eq.Scalar"],
  ne: ["ne.Tensor", "ne.Scalar"],
  lt: ["lt.Tensor", "lt.Scalar"],
  le: ["le.Tensor", "le.Scalar"],
  gt: ["gt.Tensor", "gt.Scalar"],
  ge: ["ge.Tensor", "ge.Scalar"],
} as const;

function overload(op: keyof typeof OVERLOADS, b: TensorOrScalar): string {
  return OVERLOADS[op][typeof b === "number" ? 1 : 0];
}

function binary(op: "add" | "sub" | "mul" | "div" | "remainder", a: Tensor, b: TensorOrScalar, alpha?: number): Tensor {
  const name = overload(op, b);
  return alpha === undefined ? callOp(name, a, b) : callOp(name, a, b, alpha);
}

function compare(op: "eq" | "ne" | "lt" | "le" | "gt" | "ge", a: Tensor, b: TensorOrScalar): Tensor {
  return callOp(overload(op, b), a, b);
}
