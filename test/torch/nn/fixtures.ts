// Shared inputs for the nn tests: deterministic S() tensors matching the Python reference scripts,
// random float64 leaves, a module gradient check and a uniform-distribution check for init tests.
import assert from "node:assert/strict";
import { arange, type nn, rand, type Tensor, tidy } from "../../../src/torch/index.js";
import { gradcheck } from "../gradcheck.js";

/** S(shape, off) = sin(arange(numel, float64) * 0.7 + off).reshape(shape), as in the Python references. */
export function S(shape: number[], off = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return arange(0, n, 1, { dtype: "float64" }).mul(0.7).add(off).sin().reshape(shape);
}

/** A float64 leaf requiring grad, uniform in [lo, hi). */
export function x64(shape: number[], lo = -1, hi = 1): Tensor {
  return tidy(() =>
    rand(shape, { dtype: "float64" })
      .mul(hi - lo)
      .add(lo),
  ).requiresGrad_();
}

/** Checks d(module(x))/dx and d/d(every parameter) by finite differences. */
export function checkModule(name: string, m: nn.Module, x: Tensor): void {
  const params = m.parameters();
  gradcheck((input) => m.call(input), [x, ...params], { name });
}

/**
 * n uniform samples on ±bound: all inside; the largest |w| above (1 - 14/n)·bound (fails with
 * probability < 1e-6); std and mean within 5 standard errors of bound/√3 and 0.
 */
export function assertUniform(t: Tensor, bound: number, what: string): void {
  tidy(() => {
    const n = t.numel;
    const maxAbs = t.abs().max().item();
    assert.ok(maxAbs <= bound, `${what}: max |w| ${maxAbs} exceeds bound ${bound}`);
    assert.ok(maxAbs > (1 - 14 / n) * bound, `${what}: max |w| ${maxAbs} far below bound ${bound}`);
    const std = t.std().item();
    const expected = bound / Math.sqrt(3);
    // the sample std of a uniform has relative standard error ≈ sqrt(0.8 / (4n))
    assert.ok(
      Math.abs(std - expected) < 5 * Math.sqrt(0.2 / n) * expected,
      `${what}: std ${std}, expected ≈ ${expected}`,
    );
    assert.ok(Math.abs(t.mean().item()) < (5 * expected) / Math.sqrt(n), `${what}: mean near 0`);
  });
}
