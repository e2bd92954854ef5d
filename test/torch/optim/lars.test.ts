import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keep, liveTensors, type Tensor, tensor, tidy, zeros } from "../../../src/torch/index.js";
import { isBatchNormOrBias, LARS } from "../../../src/torch/optim/index.js";
import { assertClose, makeParams, setGrads, values } from "./helpers.js";

function run3(opts: ConstructorParameters<typeof LARS>[1]): [number[], number[]] {
  const before = liveTensors();
  const [w, b] = makeParams();
  const opt = new LARS([w, b], opts);
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

describe("LARS (google SimCLR semantics)", () => {
  it("defaults follow google's lars_optimizer.py: eta 0.001, momentum 0.9, classic momentum", () => {
    const [w, b] = makeParams();
    const opt = new LARS([w, b], { lr: 1 });
    const g = opt.paramGroups[0];
    assert.equal(g?.eta, 0.001);
    assert.equal(g?.momentum, 0.9);
    assert.equal(g?.classicMomentum, true);
    w.dispose();
    b.dispose();
  });

  it("first step: the 2-D weight gets decay and the trust ratio, the 1-D bias gets neither", () => {
    const [w, b] = makeParams();
    const opt = new LARS([w, b], { lr: 2, weightDecay: 0.1 });
    setGrads(w, b, 0);
    opt.step();
    // Hand computation: g' = g + 0.1·w; r = 0.001·‖w‖/‖g'‖; w ← w − 2·r·g' (buffer starts at 0).
    const w0 = [1, -2, 3, 0.5];
    const gp = [0.1, -0.2, 0.3, 0.4].map((g, i) => g + 0.1 * (w0[i] as number));
    const norm = (a: number[]) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
    const r = (0.001 * norm(w0)) / norm(gp);
    assertClose(
      values(w),
      w0.map((x, i) => x - 2 * r * (gp[i] as number)),
    );
    // Bias: plain momentum SGD step with no decay and trust ratio 1: b − lr·g.
    assertClose(values(b), [0.25 - 2 * 0.5, -0.75 - 2 * -0.1]);
    assert.deepEqual(opt.exclusions(w), { weightDecay: true, layerAdaptation: true });
    assert.deepEqual(opt.exclusions(b), { weightDecay: false, layerAdaptation: false });
    opt.dispose();
    w.dispose();
    b.dispose();
  });

  // Expected values: a literal float64 transcription of google-research/simclr tf2/lars_optimizer.py
  // (_resource_apply_dense) in torch 1.13, with the bias excluded, lr 2, wd 0.1, eeta 0.001, m 0.9.
  it("three steps match google's update rule (classic, Nesterov, non-classic)", () => {
    let [w, b] = run3({ lr: 2, weightDecay: 0.1 });
    assertClose(w, [0.9965929788252684, -1.9899218853156226, 2.972902092909119, 0.48654051804574744]);
    assertClose(b, [-2.42, -1.448]);
    [w, b] = run3({ lr: 2, weightDecay: 0.1, nesterov: true });
    assertClose(w, [0.9931599061313655, -1.9867823349042315, 2.9632819073597125, 0.48027729693585974]);
    assertClose(b, [-2.753, -1.8782]);
    [w, b] = run3({ lr: 2, weightDecay: 0.1, classicMomentum: false });
    assertClose(w, [0.9947276906390683, -1.991894284319367, 2.9840130188020755, 0.48892325114284246]);
    assertClose(b, [-2.42, -1.448]);
  });

  it("the default predicate excludes BN and bias by shape and by name; users can override it", () => {
    tidy(() => {
      const conv = zeros([4, 3, 3, 3]);
      const vec = zeros([4]);
      assert.equal(isBatchNormOrBias("layer1.0.conv1.weight", conv), false);
      assert.equal(isBatchNormOrBias("layer1.0.bn1.weight", vec), true);
      assert.equal(isBatchNormOrBias("layer1.0.downsample.1.weight", vec), true);
      assert.equal(isBatchNormOrBias("fc.bias", vec), true);
      assert.equal(isBatchNormOrBias("head.batch_normalization.gamma", conv), true);
      assert.equal(isBatchNormOrBias(undefined, conv), false);
    });
    // Override: also exclude a supervised head by name (google excludes 'head_supervised' too),
    // and let layer adaptation use its own rule.
    const [w, b] = makeParams();
    const opt = new LARS(
      [
        ["head_supervised.weight", w],
        ["encoder.bias", b],
      ],
      {
        lr: 1,
        weightDecay: 0.1,
        excludeFromWeightDecay: (name, p) => isBatchNormOrBias(name, p) || (name ?? "").startsWith("head_supervised"),
        excludeFromLayerAdaptation: () => false,
      },
    );
    assert.deepEqual(opt.exclusions(w), { weightDecay: false, layerAdaptation: true });
    assert.deepEqual(opt.exclusions(b), { weightDecay: false, layerAdaptation: true });
    w.dispose();
    b.dispose();
  });

  it("trust ratio falls back to 1 when the weight norm is zero", () => {
    const w = keep(zeros([2, 2], { dtype: "float64", requiresGrad: true }));
    const opt = new LARS([w], { lr: 0.5, weightDecay: 0.1 });
    tidy(() => {
      w.grad = tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: "float64" },
      );
    });
    opt.step();
    assertClose(values(w), [-0.5, -1, -1.5, -2]);
    assert.ok(values(w).every(Number.isFinite));
    opt.dispose();
    w.dispose();
  });

  it("momentum buffers survive stateDict/loadStateDict", () => {
    const before = liveTensors();
    const [w, b] = makeParams();
    const opt = new LARS([w, b], { lr: 2, weightDecay: 0.1 });
    setGrads(w, b, 0);
    opt.step();
    const sd = opt.stateDict();
    const bufB = sd.state[1]?.momentum_buffer as Tensor;
    assertClose(values(bufB), [1, -0.2]); // lr·g with trust ratio 1
    const opt2 = new LARS([w, b], { lr: 2, weightDecay: 0.1 });
    opt2.loadStateDict(sd);
    for (const st of Object.values(sd.state)) for (const v of Object.values(st)) if (typeof v === "object") v.dispose();
    setGrads(w, b, 1);
    opt2.step();
    // b after two classic-momentum steps: v2 = 0.9·v1 + lr·g2, b2 = b1 − v2
    assertClose(values(b), [0.25 - 1 - (0.9 * 1 + 2 * 0.2), -0.75 + 0.2 - (0.9 * -0.2 + 2 * 0.3)]);
    opt.dispose();
    opt2.dispose();
    w.dispose();
    b.dispose();
    assert.equal(liveTensors(), before);
  });
});
