import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keep, liveTensors, type Tensor, tensor, tidy } from "../../../src/torch/index.js";
import { clipGradNorm, clipGradValue } from "../../../src/torch/optim/index.js";
import { assertClose } from "./helpers.js";

function params(): Tensor[] {
  const a = keep(tensor([0, 0], { requiresGrad: true, dtype: "float64" }));
  const b = keep(tensor([0], { requiresGrad: true, dtype: "float64" }));
  const c = keep(tensor([0], { requiresGrad: true, dtype: "float64" })); // no gradient: skipped
  tidy(() => {
    a.grad = tensor([3, 4], { dtype: "float64" });
    b.grad = tensor([12], { dtype: "float64" });
  });
  return [a, b, c];
}

const gradOf = (t: Tensor) => tidy(() => (t.grad as Tensor).toNumbers());

describe("gradient clipping", () => {
  it("clips by the global 2-norm like torch.nn.utils.clip_grad_norm_", () => {
    const before = liveTensors();
    const ps = params();
    const norm = clipGradNorm(ps, 6.5);
    assert.equal(norm, 13); // √(9 + 16 + 144)
    const coef = 6.5 / (13 + 1e-6); // PyTorch's coefficient, eps 1e-6 included
    assertClose(gradOf(ps[0] as Tensor), [3 * coef, 4 * coef]);
    assertClose(gradOf(ps[1] as Tensor), [12 * coef]);
    // Below the threshold nothing changes.
    assertClose([clipGradNorm(ps, 100)], [6.5], 1e-6);
    assertClose(gradOf(ps[1] as Tensor), [12 * coef]);
    for (const p of ps) p.dispose();
    assert.equal(liveTensors(), before);
  });

  it("supports the infinity norm, value clipping, and refuses non-finite norms on request", () => {
    const ps = params();
    assert.equal(clipGradNorm(ps, 1e9, { normType: Infinity }), 12);
    clipGradValue(ps, 3.5);
    assert.deepEqual(gradOf(ps[0] as Tensor), [3, 3.5]);
    assert.deepEqual(gradOf(ps[1] as Tensor), [3.5]);
    tidy(() => {
      (ps[0] as Tensor).grad = tensor([Number.NaN, 1], { dtype: "float64" });
    });
    assert.throws(() => clipGradNorm(ps, 1, { errorIfNonfinite: true }), /total 2-norm of the gradients is NaN/);
    assert.throws(() => clipGradNorm(ps, -1), /maxNorm/);
    for (const p of ps) p.dispose();
  });
});
