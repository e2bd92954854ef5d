// Float64 gradient check: autograd against central finite differences.
// The output is reduced to a scalar with a fixed random projection v, so a single backward pass
// gives the full vector-Jacobian product vᵀJ, and each input element needs two forward passes.
import assert from "node:assert/strict";
import { grad, noGrad, randn, type Tensor, tidy } from "../../src/torch/index.js";

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Which inputs to check (default: every floating input that requires grad). */
  check?: boolean[];
  name?: string;
}

function projectedSum(out: Tensor, v: Tensor): Tensor {
  return out.mul(v).sum();
}

/**
 * Checks the gradients of fn at inputs. Inputs must be float64 tensors; those to check must
 * require grad. Throws an assertion error naming the input and element that disagree.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): void {
  const eps = o.eps ?? 1e-6;
  const atol = o.atol ?? 1e-6;
  const rtol = o.rtol ?? 1e-4;
  const name = o.name ?? "fn";
  const checked = inputs.map((x, i) => o.check?.[i] ?? x.requiresGrad);
  inputs.forEach((x, i) => {
    if (!checked[i]) return;
    assert.equal(x.dtype, "float64", `${name}: gradcheck input ${i} must be float64, is ${x.dtype}`);
    assert.ok(
      x.isContiguous(),
      `${name}: gradcheck input ${i} must be contiguous (it is perturbed through a flat view)`,
    );
  });
  tidy(() => {
    const out0 = fn(...inputs);
    assert.ok(out0.dtype === "float64", `${name}: output dtype is ${out0.dtype}; gradcheck needs float64 end to end`);
    const v = randn(out0.shape, { dtype: "float64" });
    const targets = inputs.filter((_, i) => checked[i]);
    const analytic = grad([projectedSum(out0, v)], targets, { allowUnused: true });
    let k = 0;
    for (let i = 0; i < inputs.length; i++) {
      if (!checked[i]) continue;
      const x = inputs[i] as Tensor;
      const a = analytic[k++];
      const aNums = a === null || a === undefined ? new Array<number>(x.numel).fill(0) : a.contiguous().toNumbers();
      const flat = x.detach().view(-1); // shares storage with x: perturb in place
      for (let j = 0; j < x.numel; j++) {
        const f = (delta: number) =>
          tidy(() =>
            noGrad(() => {
              const cell = flat.narrow(0, j, 1);
              const orig = cell.item();
              cell.fill_(orig + delta);
              const val = projectedSum(fn(...inputs), v).item();
              cell.fill_(orig);
              return val;
            }),
          );
        const numeric = (f(eps) - f(-eps)) / (2 * eps);
        const analyticJ = aNums[j] as number;
        if (!(Math.abs(analyticJ - numeric) <= atol + rtol * Math.abs(numeric)))
          assert.fail(`${name}: d/d input${i}[${j}] autograd ${analyticJ} vs finite difference ${numeric}`);
      }
    }
  });
}
