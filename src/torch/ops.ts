// Free functions over several tensors: joining, selection, linear algebra. The one-overload ones
// (matmul, bmm, outer, minimum, maximum, cdist) are generated into generated/ops.ts.
import { TorchError } from "./errors.js";
import * as aten from "./generated/aten.js";
import type { Tensor } from "./tensor.js";

export * from "./generated/ops.js";

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TorchError("cat() needs at least one tensor", "ValueError");
  return aten.cat(tensors, dim);
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TorchError("stack() needs at least one tensor", "ValueError");
  return aten.stack(tensors, dim);
}
/** Elementwise cond ? a : b (a or b may be scalars). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === "number" && typeof b === "number") return aten.whereScalar(cond, a, b);
  if (typeof a === "number") return aten.whereScalarSelf(cond, a, b as Tensor);
  if (typeof b === "number") return aten.whereScalarOther(cond, a, b);
  return aten.whereSelf(cond, a, b);
}
/** Einstein summation, e.g. einsum("bij,bjk->bik", a, b). */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return aten.einsum(equation, operands);
}
/** Counts of each value in a 1-D non-negative int tensor. */
export function bincount(t: Tensor, minlength = 0): Tensor {
  return aten.bincount(t, null, minlength);
}
