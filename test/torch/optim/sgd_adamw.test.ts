import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { liveTensors, type Tensor, tensor, tidy } from "../../../src/torch/index.js";
import { AdamW, type Optimizer, SGD } from "../../../src/torch/optim/index.js";
import { assertClose, makeParams, setGrads, values } from "./helpers.js";

/** Runs three steps with the fixed gradients and returns w, b flattened; checks no tensor leaks. */
function run3(make: (p: Tensor[]) => Optimizer<{ lr: number }>): [number[], number[]] {
  const before = liveTensors();
  const [w, b] = makeParams();
  const opt = make([w, b]);
  for (let k = 0; k < 3; k++) setGrads(w, b, k);
  for (let k = 0; k < 3; k++) {
    setGrads(w, b, k);
    opt.step();
  }
  const out: [number[], number[]] = [values(w), values(b)];
  opt.dispose();
  w.dispose();
  b.dispose();
  assert.equal(liveTensors(), before, "live tensors after the run");
  return out;
}

// Expected values: torch 1.13 (/usr/bin/python3) running the same three steps in float64:
//   torch.optim.SGD(p, lr=0.1) etc., printed with .tolist().
describe("SGD", () => {
  it("plain SGD matches the hand-computed p − lr·Σg", () => {
    const [w, b] = run3((p) => new SGD(p, { lr: 0.1 }));
    // hand: w − 0.1·(g1+g2+g3)
    assertClose(w, [1 - 0.1 * 0.5, -2 - 0.1 * 0.1, 3 - 0.1 * 0.15, 0.5 - 0.1 * 0.9]);
    assertClose(b, [0.25 - 0.1 * 0.3, -0.75 - 0.1 * 0.25]);
  });

  it("first step with momentum, weight decay and dampening is hand-computable", () => {
    const [w, b] = makeParams();
    const opt = new SGD([w, b], { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 });
    setGrads(w, b, 0);
    opt.step();
    // The first step initialises the buffer with d = g + wd·w (no dampening), so p ← p − lr·d.
    assertClose(values(w), [
      1 - 0.1 * (0.1 + 0.01),
      -2 - 0.1 * (-0.2 - 0.02),
      3 - 0.1 * (0.3 + 0.03),
      0.5 - 0.1 * (0.4 + 0.005),
    ]);
    assertClose(values(b), [0.25 - 0.1 * (0.5 + 0.0025), -0.75 - 0.1 * (-0.1 - 0.0075)]);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it("momentum + dampening + weight decay over three steps matches PyTorch", () => {
    const [w, b] = run3((p) => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }));
    assertClose(w, [0.95589412109, -1.97842064218, 2.91230931327, 0.352170782195]);
    assertClose(b, [0.1151582167975, -0.7747230637925]);
  });

  it("Nesterov over three steps matches PyTorch", () => {
    const [w, b] = run3((p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }));
    assertClose(w, [0.9565524516834051, -2.0014085133668105, 2.9594409288002153, 0.3875781875416213]);
    assertClose(b, [0.17483907326359815, -0.7779030554911195]);
  });

  it("maximize ascends: p + lr·g", () => {
    const [w, b] = makeParams();
    const opt = new SGD([w, b], { lr: 0.1, maximize: true });
    setGrads(w, b, 0);
    opt.step();
    assertClose(values(b), [0.25 + 0.05, -0.75 - 0.01]);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it("parameter groups use their own options and skip parameters without gradients", () => {
    const [w, b] = makeParams();
    const opt = new SGD([{ params: [w] }, { params: [b], lr: 1 }], { lr: 0.1 });
    setGrads(w, b, 0);
    b.grad = null;
    opt.step();
    assertClose(values(b), [0.25, -0.75]);
    assertClose(values(w), [0.99, -1.98, 2.97, 0.46]);
    setGrads(w, b, 0);
    opt.step();
    assertClose(values(b), [0.25 - 0.5, -0.75 + 0.1]);
    assert.equal(opt.paramGroups[0]?.lr, 0.1);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it("rejects bad options and bad parameter lists with clear errors", () => {
    const [w, b] = makeParams();
    assert.throws(() => new SGD([w], { lr: -1 }), /SGD: invalid lr -1 in group 0/);
    assert.throws(() => new SGD([w], { lr: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new SGD([{ params: [w] }, { params: [w] }], { lr: 0.1 }), /more than one parameter group/);
    assert.throws(() => new SGD([], { lr: 0.1 }), /empty/);
    const nonLeaf = w.mul(2);
    assert.throws(() => new SGD([nonLeaf], { lr: 0.1 }), /non-leaf/);
    nonLeaf.dispose();
    w.dispose();
    b.dispose();
  });

  it("zeroGrad clears gradients (to None, or to zeros)", () => {
    const [w, b] = makeParams();
    const opt = new SGD([w, b], { lr: 0.1 });
    setGrads(w, b, 0);
    opt.zeroGrad(false);
    const g = w.grad as Tensor;
    assert.deepEqual(values(g), [0, 0, 0, 0]);
    g.dispose();
    opt.zeroGrad();
    assert.equal(w.grad, null);
    w.dispose();
    b.dispose();
  });
});

describe("AdamW", () => {
  it("first step is p·(1 − lr·wd) − lr·sign(g) (bias-corrected m/√v = ±1)", () => {
    const [w, b] = makeParams();
    const opt = new AdamW([w, b], { lr: 0.01, weightDecay: 0.1 });
    setGrads(w, b, 0);
    opt.step();
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps) ≈ lr·sign(g) (eps 1e-8 shifts it by ~1e-9).
    const expect = [1, -2, 3, 0.5].map(
      (p, i) => p * (1 - 0.001) - 0.01 * Math.sign([0.1, -0.2, 0.3, 0.4][i] as number),
    );
    assertClose(values(w), expect, 1e-8);
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  it("three steps match PyTorch (plain and amsgrad)", () => {
    let [w, b] = run3((p) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 }));
    assertClose(w, [0.9877097446872335, -1.9870661208542082, 2.9716581222028045, 0.47651105858928494]);
    assertClose(b, [0.22853118532223043, -0.747480568024101]);
    [w, b] = run3((p) => new AdamW(p, { lr: 0.01, betas: [0.8, 0.99], weightDecay: 0.1, amsgrad: true }));
    assertClose(w, [0.9876496517362537, -1.9882646122926995, 2.972901891094383, 0.4767720538872274]);
    assertClose(b, [0.22966237660063704, -0.7482346054944847]);
  });

  it("stateDict/loadStateDict resumes exactly where it left off", () => {
    const before = liveTensors();
    const [w, b] = makeParams();
    const opt = new AdamW([w, b], { lr: 0.01, weightDecay: 0.1 });
    setGrads(w, b, 0);
    opt.step();
    const sd = opt.stateDict();
    assert.equal(sd.state[0]?.step, 1);
    assert.deepEqual(sd.paramGroups[0]?.params, [0, 1]);
    // A second optimizer over copies of the parameters, restored from the dict, must follow the same path.
    const [w2, b2] = makeParams();
    tidy(() => {
      w2.detach().copy_(w);
      b2.detach().copy_(b);
    });
    const opt2 = new AdamW([w2, b2], { lr: 0.5 });
    opt2.loadStateDict(sd);
    for (const st of Object.values(sd.state)) for (const v of Object.values(st)) if (typeof v === "object") v.dispose();
    assert.equal(opt2.paramGroups[0]?.lr, 0.01);
    for (const k of [1, 2]) {
      setGrads(w, b, k);
      setGrads(w2, b2, k);
      opt.step();
      opt2.step();
    }
    assertClose(values(w2), values(w), 0);
    assertClose(values(b2), values(b), 0);
    tidy(() =>
      assert.throws(
        () => opt2.loadStateDict({ state: { 0: { exp_avg: tensor([1, 2, 3]) } }, paramGroups: [{ params: [0, 1] }] }),
        /state 'exp_avg' of parameter 0 has shape \[3\]/,
      ),
    );
    for (const t of [w, b, w2, b2]) t.dispose();
    opt.dispose();
    opt2.dispose();
    assert.equal(liveTensors(), before);
  });
});
