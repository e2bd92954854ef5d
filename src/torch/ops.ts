// Free functions over several tensors: joining, selection, linear algebra.
import { callOp } from "./dispatch.js";
import { TorchError } from "./errors.js";
import type { Tensor } from "./tensor.js";

export function cat(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TorchError("cat() needs at least one tensor", "ValueError");
  return callOp("cat", tensors, dim);
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new TorchError("stack() needs at least one tensor", "ValueError");
  return callOp("stack", tensors, dim);
}
/** Elementwise cond ? a : b (a or b may be scalars). */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === "number" && typeof b === "number") return callOp("where.Scalar", cond, a, b);
  if (typeof a === "number") return callOp("where.ScalarSelf", cond, a, b);
  if (typeof b === "number") return callOp("where.ScalarOther", cond, a, b);
  return callOp("where.self", cond, a, b);
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return callOp("matmul", a, b);
}
export function bmm(a: Tensor, b: Tensor): Tensor {
  return callOp("bmm", a, b);
}
/** Einstein summation, e.g. einsum("bij,bjk->bik", a, b). */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return callOp("einsum", equation, operands, null);
}
export function outer(a: Tensor, b: Tensor): Tensor {
  return callOp("outer", a, b);
}
export function minimum(a: Tensor, b: Tensor): Tensor {
  return callOp("minimum", a, b);
}
export function maximum(a: Tensor, b: Tensor): Tensor {
  return callOp("maximum", a, b);
}
/** Counts of each value in a 1-D non-negative int tensor. */
export function bincount(t: Tensor, minlength = 0): Tensor {
  return callOp("bincount", t, null, minlength);
}
/** Pairwise p-norm distances between the rows of a and b. */
export function cdist(a: Tensor, b: Tensor, p = 2): Tensor {
  return callOp("cdist", a, b, p, null);
}
