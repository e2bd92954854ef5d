import assert from "node:assert/strict";
import { test } from "node:test";
import { arcFaceLoss, cosFaceLoss, crossEntropyLoss, softmaxLoss } from "../../src/losses/index.js";
import { liveTensors, manualSeed, randint, randn, type Tensor, tensor, tidy } from "../../src/torch/index.js";
import { gradcheck } from "./gradcheck.js";

const close = (a: number, b: number, tol = 1e-9, msg = "") => assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b}`);
const f64 = (d: number[][] | number[]) => tensor(d, { dtype: "float64" });
const labels = (d: number[]) => tensor(d, { dtype: "int64" });
// x=(3,4) against normalised class weights e1, e2: cos θ = (0.6, 0.8).
const X = () => f64([[3, 4]]);
const W = () =>
  f64([
    [1, 0],
    [0, 2],
  ]);

test("softmax baseline: logits x·Wᵀ+b and CE by hand", () => {
  tidy(() => {
    const w = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const out = softmaxLoss(f64([[1, 2]]), w, f64([0, 0, -1]), labels([2]));
    assert.deepEqual(out.logits.toArray(), [[1, 2, 2]]);
    close(out.loss.item(), -Math.log(Math.exp(2) / (Math.E + 2 * Math.exp(2))));
    close(crossEntropyLoss(out.logits, labels([0])).loss.item(), -Math.log(Math.E / (Math.E + 2 * Math.exp(2))));
  });
});

test("CosFace: target logit s(cos θ − m) by hand; evaluation logits s·cos θ", () => {
  tidy(() => {
    const out = cosFaceLoss(X(), W(), labels([1]), { scale: 2, margin: 0.3 });
    close(out.loss.item(), Math.log(1 + Math.exp(1.2 - 1.0)));
    for (const [i, v] of out.logits.toNumbers().entries()) close(v, [1.2, 1.6][i] as number, 1e-12);
  });
});

test("ArcFace: cos(θ+m) by hand, the threshold rule past π − m, and easy margin", () => {
  tidy(() => {
    const m = 0.5;
    const s = 2;
    // Label 1: cos(acos 0.8 + 0.5) = 0.8·cos 0.5 − 0.6·sin 0.5.
    const t1 = 0.8 * Math.cos(m) - 0.6 * Math.sin(m);
    close(
      arcFaceLoss(X(), W(), labels([1]), { scale: s, margin: m }).loss.item(),
      Math.log(1 + Math.exp(s * 0.6 - s * t1)),
    );
    // cos θ = −0.95 < cos(π − 0.5) = −0.8776: threshold rule gives cos θ − m·sin m.
    const x = f64([[-0.95, Math.sqrt(1 - 0.95 ** 2)]]);
    const w = f64([
      [1, 0],
      [0, 1],
    ]);
    const other = Math.sqrt(1 - 0.95 ** 2);
    const hard = -0.95 - m * Math.sin(m);
    close(
      arcFaceLoss(x, w, labels([0]), { scale: s, margin: m }).loss.item(),
      Math.log(1 + Math.exp(s * other - s * hard)),
      1e-9,
      "th",
    );
    // Easy margin keeps cos θ when cos θ ≤ 0.
    close(
      arcFaceLoss(x, w, labels([0]), { scale: s, margin: m, easyMargin: true }).loss.item(),
      Math.log(1 + Math.exp(s * other + s * 0.95)),
      1e-9,
      "easy",
    );
    // With margin 0 ArcFace is the normalised softmax.
    close(
      arcFaceLoss(X(), W(), labels([1]), { scale: s, margin: 0 }).loss.item(),
      Math.log(1 + Math.exp(s * 0.6 - s * 0.8)),
    );
  });
});

test("CosFace, ArcFace and softmax gradients match float64 finite differences", () => {
  tidy(() => {
    manualSeed(7);
    const x = randn([6, 3], { dtype: "float64" });
    const w = randn([4, 3], { dtype: "float64" });
    const b = randn([4], { dtype: "float64" });
    const y = randint(0, 4, [6]);
    gradcheck((a: Tensor, c: Tensor, d: Tensor) => softmaxLoss(a, c, d, y).loss, [x, w, b]);
    gradcheck((a: Tensor, c: Tensor) => cosFaceLoss(a, c, y, { scale: 5 }).loss, [x, w]);
    for (const easyMargin of [false, true])
      gradcheck((a: Tensor, c: Tensor) => arcFaceLoss(a, c, y, { scale: 5, easyMargin }).loss, [x, w]);
  });
});

test("no NaN in loss or gradients at θ = 0 and θ = π", () => {
  const start = liveTensors();
  tidy(() => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor(
        [
          [2, 0],
          [-3, 0],
          [0, 5],
        ],
        { dtype },
      ).requiresGrad_(true);
      const w = tensor(
        [
          [1, 0],
          [0, 1],
        ],
        { dtype },
      ).requiresGrad_(true);
      const y = labels([0, 0, 0]);
      for (const fn of [
        () => arcFaceLoss(x, w, y),
        () => arcFaceLoss(x, w, y, { easyMargin: true }),
        () => cosFaceLoss(x, w, y),
      ]) {
        x.grad = null;
        w.grad = null;
        const { loss } = fn();
        assert.ok(Number.isFinite(loss.item()), `${dtype} loss`);
        loss.backward();
        for (const g of [x.grad, w.grad] as (Tensor | null)[])
          assert.ok(g?.isfinite().all().item(), `${dtype}: gradient has NaN/inf`);
      }
    }
  });
  assert.equal(liveTensors(), start);
});

test("validation", () => {
  tidy(() => {
    assert.throws(() => arcFaceLoss(X(), W(), labels([0]), { margin: 2 }), /margin must be in/);
    assert.throws(() => cosFaceLoss(X(), W(), labels([0]), { scale: 0 }), /scale/);
    assert.throws(() => cosFaceLoss(X(), W(), tensor([0]), {}), /int64/);
  });
});
