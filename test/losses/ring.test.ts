import assert from "node:assert/strict";
import { test } from "node:test";
import { meanFeatureNorm, ringLoss } from "../../src/losses/index.js";
import { liveTensors, manualSeed, randn, type Tensor, tensor, tidy } from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";

const close = (a: number, b: number, tol = 1e-12, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const f64 = (d: number[][] | number[]) => tensor(d, { dtype: "float64" });

test("ring loss, both forms, by hand", () => {
  const start = liveTensors();
  tidy(() => {
    const x = f64([
      [3, 4],
      [6, 8],
    ]); // norms 5 and 10
    const r = f64([6]);
    // Paper form λ/(2m)·Σ(‖f‖−R)²: 0.01/4·(1 + 16)
    close(ringLoss(x, r).item(), (0.01 / 4) * 17);
    close(ringLoss(x, r, { weight: 1 }).item(), 17 / 4);
    // Ratio form: λ·mean(((‖f‖−R)/mean‖f‖)²), mean‖f‖ = 7.5
    close(ringLoss(x, r, { type: "ratio" }).item(), (1 / 7.5 ** 2 + 16 / 7.5 ** 2) / 2);
    close(meanFeatureNorm(x), 7.5);
    // The ratio form's scale is clamped at 0.5 for tiny features.
    close(ringLoss(f64([[0.1, 0]]), f64([0.2]), { type: "ratio" }).item(), (0.1 / 0.5) ** 2);
  });
  assert.equal(liveTensors(), start);
});

test("ring loss gradients (features and radius) by finite differences", () => {
  tidy(() => {
    manualSeed(2);
    const x = randn([5, 4], { dtype: "float64" });
    const r = f64([1.5]);
    gradcheck((a: Tensor, b: Tensor) => ringLoss(a, b, { weight: 0.3 }), [x, r]);
    // ∂/∂R of the paper form is λ/m·Σ(R − ‖f‖).
    const rr = r.detach().requiresGrad_(true);
    ringLoss(x, rr, { weight: 0.3 }).backward();
    const norms = x.norm(2, 1).toNumbers();
    close(rr.grad?.item() ?? Number.NaN, (0.3 / 5) * norms.reduce((s, n) => s + (1.5 - n), 0), 1e-12);
    // The ratio form treats mean‖f‖ as a constant (detached).
    const mean = norms.reduce((a, b) => a + b) / 5;
    const fixed = (a: Tensor, b: Tensor) => a.norm(2, 1).sub(b).div(mean).square().mean();
    const leaves = [x.detach().requiresGrad_(true), r.detach().requiresGrad_(true)];
    ringLoss(leaves[0] as Tensor, leaves[1] as Tensor, { type: "ratio", weight: 1 }).backward();
    const l2 = [x.detach().requiresGrad_(true), r.detach().requiresGrad_(true)];
    fixed(l2[0] as Tensor, l2[1] as Tensor).backward();
    for (let i = 0; i < 2; i++)
      close(
        leaves[i]?.grad
          ?.sub(l2[i]?.grad as Tensor)
          .abs()
          .max()
          .item() ?? 1,
        0,
        1e-12,
      );
  });
});

test("ring loss pulls the radius toward the norms under gradient descent", () => {
  tidy(() => {
    const x = f64([
      [3, 4],
      [0, 10],
    ]);
    let r = 1;
    for (let i = 0; i < 200; i++) {
      r = tidy(() => {
        const rt = f64([r]).requiresGrad_(true);
        ringLoss(x, rt, { weight: 1 }).backward();
        return r - 0.5 * (rt.grad?.item() ?? 0);
      });
    }
    close(r, 7.5, 1e-6); // the minimiser is the mean norm
  });
});

test("validation", () => {
  tidy(() => {
    assert.throws(() => ringLoss(f64([1, 2]), f64([1])), /2-D/);
    assert.throws(() => ringLoss(f64([[1, 2]]), f64([1, 2])), /radius/);
    // @ts-expect-error checked at run time too
    assert.throws(() => ringLoss(f64([[1, 2]]), f64([1]), { type: "l3" }), /type/);
  });
});
