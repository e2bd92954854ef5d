// Local float64 finite-difference gradient check for the loss tests.
import assert from "node:assert/strict";
import { fromTypedArray, grad, type Tensor, tidy } from "../../src/torch/index.js";

/**
 * Compares autograd's gradient of the scalar f(...inputs) with central differences in float64.
 * Inputs must be float64 tensors; each is perturbed element by element.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  o: { eps?: number; tol?: number } = {},
): void {
  const eps = o.eps ?? 1e-6;
  const tol = o.tol ?? 1e-5;
  tidy(() => {
    const leaves = inputs.map((x) => {
      assert.equal(x.dtype, "float64", "gradcheck needs float64 inputs");
      return x.detach().requiresGrad_(true);
    });
    const out = f(...leaves);
    const analytic = grad([out], leaves, { allowUnused: true }).map((g, i) =>
      g === null ? new Float64Array(leaves[i]?.numel ?? 0) : (g.toTypedArray() as Float64Array),
    );
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i] as Tensor;
      const base = x.toTypedArray() as Float64Array;
      for (let j = 0; j < base.length; j++) {
        const at = (delta: number) =>
          tidy(() => {
            const v = Float64Array.from(base);
            v[j] = (v[j] as number) + delta;
            const args = inputs.map((y, k) => (k === i ? fromTypedArray(v, x.shape) : y.detach()));
            return f(...args).item();
          });
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const a = analytic[i]?.[j] as number;
        assert.ok(Number.isFinite(a), `input ${i} element ${j}: analytic gradient is ${a}`);
        assert.ok(
          Math.abs(a - numeric) <= tol * Math.max(1, Math.abs(numeric)),
          `input ${i} element ${j}: analytic ${a} vs numeric ${numeric}`,
        );
      }
    }
  });
}
