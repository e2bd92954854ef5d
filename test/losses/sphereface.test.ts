import assert from "node:assert/strict";
import { test } from "node:test";
import {
  aSoftmaxPsi,
  chebyshevCos,
  cosineLogits,
  sphereFaceLambda,
  sphereFaceLoss,
  sphereFaceRLoss,
} from "../../src/losses/index.js";
import {
  F,
  grad,
  liveTensors,
  manualSeed,
  randint,
  randn,
  type Tensor,
  tensor,
  tidy,
  where,
} from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";

const close = (a: number, b: number, tol = 1e-9, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const f64 = (d: number[][] | number[]) => tensor(d, { dtype: "float64" });
const labels = (d: number[]) => tensor(d, { dtype: "int64" });

test("ψ(θ) = (−1)^k cos(4θ) − 2k at known angles", () => {
  const start = liveTensors();
  tidy(() => {
    // Hand-derived: e.g. θ=π/3 → k=1, −cos(4π/3) − 2 = −1.5; θ=π → k=3, −cos(4π) − 6 = −7.
    const cases: [number, number][] = [
      [0, 1],
      [Math.PI / 6, -0.5],
      [Math.PI / 4, -1],
      [Math.PI / 3, -1.5],
      [Math.PI / 2, -3],
      [(2 * Math.PI) / 3, -4.5],
      [(5 * Math.PI) / 6, -5.5],
      [Math.PI, -7],
    ];
    const psi = aSoftmaxPsi(f64(cases.map(([t]) => Math.cos(t))), 4).toNumbers();
    for (const [i, [t, want]] of cases.entries()) close(psi[i] as number, want, 1e-9, `ψ(${t})`);
  });
  assert.equal(liveTensors(), start);
});

test("ψ is continuous and decreasing on [0, π]; T_m(cos θ) = cos(mθ)", () => {
  tidy(() => {
    const thetas = Array.from({ length: 2001 }, (_, i) => (Math.PI * i) / 2000);
    const psi = aSoftmaxPsi(f64(thetas.map(Math.cos)), 4).toNumbers();
    for (let i = 1; i < psi.length; i++)
      assert.ok((psi[i] as number) <= (psi[i - 1] as number) + 1e-12, `ψ rises at ${thetas[i]}`);
    for (const m of [1, 2, 3, 4, 5]) {
      const c = chebyshevCos(f64(thetas.map(Math.cos)), m).toNumbers();
      for (const [i, t] of thetas.entries()) close(c[i] as number, Math.cos(m * t), 1e-9, `T_${m}`);
    }
  });
});

test("λ schedule: max(λmin, base·(1+γ·iter)^−power) with the Caffe defaults", () => {
  close(sphereFaceLambda(0), 1000);
  close(sphereFaceLambda(10), 1000 / 2.2);
  close(sphereFaceLambda(1000), 1000 / 121);
  close(sphereFaceLambda(1658), 1000 / (1 + 0.12 * 1658)); // 5.0012…, just above the floor
  close(sphereFaceLambda(1659), 5); // 1000/200.08 < 5
  close(sphereFaceLambda(1e6), 5);
  // clcarwin's variant: max(5, 1500/(1+0.1·it))
  close(sphereFaceLambda(20, { base: 1500, gamma: 0.1 }), 500);
  close(sphereFaceLambda(3, { power: 2 }), 1000 / 1.36 ** 2);
  assert.throws(() => sphereFaceLambda(-1), /iter/);
});

test("original A-Softmax on a tiny input matches the hand computation", () => {
  tidy(() => {
    // x=(3,4): ‖x‖=5; normalised W rows e1, e2 → cos = (0.6, 0.8). Label 0: θ=acos 0.6 → k=1,
    // T4(0.6) = 8·0.6⁴ − 8·0.6² + 1 = −0.8432, ψ = 0.8432 − 2 = −1.1568.
    const x = f64([[3, 4]]);
    const w = f64([
      [1, 0],
      [0, 2],
    ]);
    const psi = 0.8432 - 2;
    const out0 = sphereFaceLoss(x, w, labels([0]), { lambda: 0 });
    close(out0.loss.item(), Math.log(1 + Math.exp(4 - 5 * psi)), 1e-9, "λ=0");
    assert.deepEqual(out0.logits.toArray(), [[3, 4]]);
    const target = (5 * (5 * 0.6 + psi)) / 6; // (λ‖x‖cosθ + ‖x‖ψ)/(1+λ), λ=5
    close(
      sphereFaceLoss(x, w, labels([0]), { lambda: 5 }).loss.item(),
      Math.log(1 + Math.exp(4 - target)),
      1e-9,
      "λ=5",
    );
    // Large λ tends to plain (weight-normalised) softmax: log(1+e^(4−3)).
    close(sphereFaceLoss(x, w, labels([0]), { lambda: 1e9 }).loss.item(), Math.log(1 + Math.E), 1e-6, "λ→∞");
  });
});

test("opensphere SphereFace: value from the definition, gradient equals plain s·cos softmax", () => {
  tidy(() => {
    const x = f64([[3, 4]]);
    const w = f64([
      [1, 0],
      [0, 2],
    ]);
    // Label 1: θ = acos 0.8, mθ (m=1.5) < π → k=0, target = s·cos(1.5θ).
    const s = 30;
    const want = Math.log(1 + Math.exp(s * 0.6 - s * Math.cos(1.5 * Math.acos(0.8))));
    const out = sphereFaceRLoss(x, w, labels([1]), { scale: s, multiplier: 1.5 });
    close(out.loss.item(), want, 1e-6);
    close(out.logits.toNumbers()[1] as number, s * 0.8, 1e-12);
    // The margin term is detached: ∂loss/∂cos is the softmax-of-margin-logits residual times s.
    manualSeed(1);
    const xs = randn([4, 3], { dtype: "float64" });
    const ws = randn([5, 3], { dtype: "float64" });
    const y = randint(0, 5, [4]);
    const o = { scale: 4, m: 1.5 };
    // Reference: CE(s·cos + Δ) with Δ = (margin logits − s·cos) frozen at this point, checked by
    // finite differences; the head's autograd gradient must equal it.
    const delta = tidy(() => {
      const { logits } = sphereFaceRLoss(xs, ws, y, o);
      const target = F.oneHot(y, 5).bool();
      const cos = logits.div(o.scale);
      const theta = cos.acos().mul(o.m);
      const k = theta.div(Math.PI).floor();
      const phi = theta.cos().mul(k.remainder(2).mul(-2).add(1)).sub(k.mul(2));
      return where(target, phi.sub(cos).mul(o.scale), 0);
    });
    const reference = (a: Tensor, b: Tensor) => F.crossEntropy(cosineLogits(a, b).mul(o.scale).add(delta), y);
    gradcheck(reference, [xs, ws]);
    const leaves = [xs, ws].map((t) => t.detach().requiresGrad_(true)) as [Tensor, Tensor];
    const got = grad([sphereFaceRLoss(leaves[0], leaves[1], y, o).loss], leaves);
    const wantGrad = grad([reference(leaves[0], leaves[1])], leaves);
    for (const [i, g] of got.entries())
      close(
        g
          ?.sub(wantGrad[i] as Tensor)
          .abs()
          .max()
          .item() ?? 1,
        0,
        1e-12,
        "detached gradient",
      );
    // ...and the forward value does include the margin: it differs from the no-margin loss.
    assert.ok(sphereFaceRLoss(xs, ws, y, o).loss.item() > F.crossEntropy(cosineLogits(xs, ws).mul(4), y).item());
  });
});

test("original A-Softmax gradients match float64 finite differences", () => {
  tidy(() => {
    manualSeed(3);
    const x = randn([5, 3], { dtype: "float64" });
    const w = randn([4, 3], { dtype: "float64" });
    const y = randint(0, 4, [5]);
    for (const lambda of [0, 5]) gradcheck((a: Tensor, b: Tensor) => sphereFaceLoss(a, b, y, { lambda }).loss, [x, w]);
  });
});

test("no NaN at θ = 0 and θ = π (features on and opposite their class weight)", () => {
  const start = liveTensors();
  tidy(() => {
    const w = f64([
      [1, 0],
      [0, 1],
    ]);
    const x = f64([
      [2, 0],
      [-3, 0],
      [0, 1e-3],
    ]).requiresGrad_(true);
    const wl = w.detach().requiresGrad_(true);
    for (const fn of [
      () => sphereFaceLoss(x, wl, labels([0, 0, 1]), { lambda: 0 }),
      () => sphereFaceRLoss(x, wl, labels([0, 0, 1]), { multiplier: 1.7 }),
    ]) {
      const { loss } = fn();
      assert.ok(Number.isFinite(loss.item()));
      loss.backward();
      for (const g of [x.grad, wl.grad]) assert.ok(g?.isfinite().all().item(), "gradient has NaN/inf");
    }
  });
  assert.equal(liveTensors(), start);
});

test("input validation names the argument", () => {
  tidy(() => {
    const x = f64([[1, 2]]);
    assert.throws(() => sphereFaceLoss(x, f64([[1, 2, 3]]), labels([0])), /weight must be \(C,2\)/);
    assert.throws(() => sphereFaceLoss(x, f64([[1, 2]]), labels([1])), /labels must lie in \[0, 1\)/);
    assert.throws(() => sphereFaceLoss(x, f64([[1, 2]]), labels([0]), { m: 1.5 }), /integer/);
  });
});
